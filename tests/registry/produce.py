"""Produces schema'd records the way a Kafka user does: Confluent's Python
client with its Schema Registry serializer (confluent-kafka, installed by
scripts/registry/setup-python), so the bytes Sluice reads are Confluent's
wire format with ids the registry assigned.

Usage: produce.py BOOTSTRAP REGISTRY_URL TOPIC FORMAT SCHEMA < records.jsonl

FORMAT is json (JSON Schema) or avro; SCHEMA the schema's text. Each input
line is one record's value (a JSON object), produced to partition 0 in
order under the subject TOPIC-value (TopicNameStrategy). Prints the number
of records produced.
"""

import faulthandler
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main():
    # A hang prints where it was and exits, instead of stalling the test run.
    faulthandler.dump_traceback_later(120, exit=True)
    bootstrap, registry_url, topic, fmt, schema = sys.argv[1:6]
    registry = SchemaRegistryClient({"url": registry_url, "timeout": 30})
    # TopicNameStrategy named explicitly: the client's default first asks
    # the registry for subject associations, an endpoint Apicurio does not
    # serve (the request was seen waiting forever under load).
    conf = {"subject.name.strategy": topic_subject_name_strategy}
    if fmt == "json":
        serializer = JSONSerializer(schema, registry, conf=conf)
    elif fmt == "avro":
        serializer = AvroSerializer(registry, schema, conf=conf)
    else:
        sys.exit(f"produce.py: format {fmt!r} is not json or avro")
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    context = SerializationContext(topic, MessageField.VALUE)
    errors = []

    def delivered(err, _msg):
        if err is not None:
            errors.append(str(err))

    n = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        value = serializer(json.loads(line), context)
        producer.produce(topic, value=value, partition=0, on_delivery=delivered)
        n += 1
    left = producer.flush(30)
    if left:
        sys.exit(f"produce.py: {left} records still unsent after 30 s: does topic {topic} exist?")
    if errors:
        sys.exit(f"produce.py: {len(errors)} records not delivered: {errors[0]}")
    print(n)


if __name__ == "__main__":
    main()
