"""Produces schema'd records the way a Kafka user does: Confluent's Python
client with its Schema Registry serializer (confluent-kafka, installed by
scripts/registry/setup-python), so the bytes Sluice reads are Confluent's
wire format with ids the registry assigned.

Usage: produce.py BOOTSTRAP REGISTRY_URL TOPIC FORMAT SCHEMA < records.jsonl

FORMAT is json (JSON Schema), avro or protobuf; SCHEMA the schema's text.
For protobuf, SCHEMA is JSON: {"files": [...], "message": "pkg.Name"}, the
files FileDescriptorProtos in Protobuf's JSON form, each after the files it
imports (Google's and Confluent's well-known files come with the client),
and the message type to write; the serializer registers every file, the
imported ones as references, as Confluent's Python client does. Each input
line is one record's value (a JSON object; for protobuf, the message in
Protobuf's JSON form), produced to partition 0 in order under the subject
TOPIC-value (TopicNameStrategy). Prints the number of records produced.
With SLUICE_PRODUCE_VALIDATE=false, the JSON Schema serializer does not
validate the values first.
"""

import faulthandler
import json
import os
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


# The message class values are parsed into (protobuf only).
MESSAGE_CLASS = None


def to_message(value):
    if MESSAGE_CLASS is None:
        return value
    from google.protobuf import json_format

    return json_format.ParseDict(value, MESSAGE_CLASS())


def protobuf_serializer(registry, spec, conf):
    """A ProtobufSerializer for spec's message, its files added to
    Protobuf's default pool (where the well-known files already are)."""
    global MESSAGE_CLASS
    from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
    # Loaded so their files (and Confluent's field_meta option) are in the pool.
    from google.protobuf import timestamp_pb2, wrappers_pb2  # noqa: F401
    from google.type import date_pb2, timeofday_pb2  # noqa: F401
    from confluent_kafka.schema_registry.confluent import meta_pb2  # noqa: F401
    from confluent_kafka.schema_registry.confluent.types import decimal_pb2  # noqa: F401
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    pool = descriptor_pool.Default()
    for f in spec["files"]:
        proto = json_format.ParseDict(f, descriptor_pb2.FileDescriptorProto())
        pool.Add(proto)
    MESSAGE_CLASS = message_factory.GetMessageClass(pool.FindMessageTypeByName(spec["message"]))
    return ProtobufSerializer(MESSAGE_CLASS, registry, conf=conf)


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
        # SLUICE_PRODUCE_VALIDATE=false: the serializer's own check off, as
        # a producer that skips it writes values breaking their schema.
        if os.environ.get("SLUICE_PRODUCE_VALIDATE", "true") == "false":
            conf["validate"] = False
        serializer = JSONSerializer(schema, registry, conf=conf)
    elif fmt == "avro":
        serializer = AvroSerializer(registry, schema, conf=conf)
    elif fmt == "protobuf":
        serializer = protobuf_serializer(registry, json.loads(schema), conf)
    else:
        sys.exit(f"produce.py: format {fmt!r} is not json, avro or protobuf")
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
        value = serializer(to_message(json.loads(line)), context)
        while True:
            try:
                producer.produce(topic, value=value, partition=0, on_delivery=delivered)
                break
            except BufferError:
                # The local queue is full (a large input): let it drain.
                producer.poll(0.1)
        producer.poll(0)
        n += 1
    left = producer.flush(30)
    if left:
        sys.exit(f"produce.py: {left} records still unsent after 30 s: does topic {topic} exist?")
    if errors:
        sys.exit(f"produce.py: {len(errors)} records not delivered: {errors[0]}")
    print(n)


if __name__ == "__main__":
    main()
