// Kafka's own Connect classes run over test cases, so that Sluice's plugins
// can be compared with them (tests/tests/integration/kafka_parity.rs).
//
// Reads JSON lines on standard input, one case each, and writes one JSON
// line per case on standard output, in order. A case:
//
//   {"id": "any text",
//    "key_converter":    {"class": "org.apache.kafka.connect.json.JsonConverter", "config": {"schemas.enable": "false"}},
//    "value_converter":  {"class": "...", "config": {...}},
//    "header_converter": {"class": "...", "config": {...}},
//    "record": {"topic": "t", "partition": 0, "offset": 5, "timestamp": 1700000000000,
//               "key": "<base64>" | null, "value": "<base64>" | null,
//               "headers": [["name", "<base64>" | null], ...]},
//    "transforms": [{"class": "org.apache.kafka.connect.transforms.InsertField$Value",
//                    "config": {...},
//                    "predicate": {"class": "...", "config": {...}}, "negate": false}],
//    "output": {"decimal.format": "BASE64", "replace.null.with.default": "true"}}
//
// Every part but "id" and "record" may be left out: the converters default
// to ByteArrayConverter (header: SimpleHeaderConverter), as a Connect worker
// would be configured for raw bytes. The answer is one of
//
//   {"id": ..., "records": [{"topic", "partition", "offset", "timestamp",
//                            "key": V, "value": V, "headers": [["name", V], ...],
//                            "header_bytes": [["name", "<base64>" | null], ...]}]}
//   {"id": ..., "dropped": true}
//   {"id": ..., "error": {"stage": "value_converter" | "transform 0" | "output" | ...,
//                         "class": "org.apache.kafka.connect.errors.DataException",
//                         "message": "... (caused by ...)"}}
//
// where each V is what Kafka's JsonConverter with schemas.enable=true (and
// the case's "output" options) writes for that key, value or header: a
// {"schema": ..., "payload": ...} envelope, or null for a null without
// schema. That is the value a Connect sink would see, in a form that keeps
// its schema. "header_bytes" holds each header as the case's header
// converter writes it back to Kafka: the bytes a sink would send on.
//
// Built and run by tests/kafka-oracle/build; the classes come from Maven
// Central at the test broker's Kafka release.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

public final class Oracle {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A failure at one stage of a case. */
    private static final class StageFailure extends Exception {
        final String stage;

        StageFailure(String stage, Throwable cause) {
            super(cause);
            this.stage = stage;
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode c = JSON.readTree(line);
            ObjectNode answer = JSON.createObjectNode();
            answer.set("id", c.get("id"));
            try {
                List<SinkRecord> records = run(c);
                if (records.isEmpty()) {
                    answer.put("dropped", true);
                } else {
                    JsonConverter shown = outputConverter(c.get("output"));
                    HeaderConverter headers = headerConverter(c.get("header_converter"));
                    ArrayNode list = answer.putArray("records");
                    for (SinkRecord r : records) {
                        list.add(show(shown, headers, r));
                    }
                }
            } catch (StageFailure f) {
                answer.remove("records");
                ObjectNode error = answer.putObject("error");
                error.put("stage", f.stage);
                error.put("class", f.getCause().getClass().getName());
                error.put("message", describe(f.getCause()));
            }
            out.write(JSON.writeValueAsString(answer));
            out.newLine();
        }
        out.flush();
    }

    private static List<SinkRecord> run(JsonNode c) throws StageFailure {
        JsonNode r = c.get("record");
        String topic = text(r, "topic", "test");
        int partition = r.path("partition").asInt(0);
        long offset = r.path("offset").asLong(0);
        Long timestamp = r.hasNonNull("timestamp") ? r.get("timestamp").asLong() : null;

        Converter keyConverter = converter(c.get("key_converter"), true, "key_converter");
        Converter valueConverter = converter(c.get("value_converter"), false, "value_converter");
        HeaderConverter headerConverter = headerConverter(c.get("header_converter"));

        SchemaAndValue key = stage("key_converter", () -> keyConverter.toConnectData(topic, bytes(r.get("key"))));
        SchemaAndValue value = stage("value_converter", () -> valueConverter.toConnectData(topic, bytes(r.get("value"))));
        ConnectHeaders headers = new ConnectHeaders();
        for (JsonNode h : r.path("headers")) {
            String name = h.get(0).asText();
            byte[] raw = bytes(h.get(1));
            SchemaAndValue v = stage("header_converter", () -> headerConverter.toConnectHeader(topic, name, raw));
            headers.add(name, v);
        }
        SinkRecord record = new SinkRecord(topic, partition, key.schema(), key.value(), value.schema(), value.value(),
                offset, timestamp, timestamp == null ? TimestampType.NO_TIMESTAMP_TYPE : TimestampType.CREATE_TIME,
                headers);

        int i = 0;
        for (JsonNode t : c.path("transforms")) {
            String stage = "transform " + i++;
            SinkRecord current = record;
            record = stage(stage, () -> apply(t, current));
            if (record == null) {
                return List.of();
            }
        }
        return List.of(record);
    }

    @SuppressWarnings("unchecked")
    private static SinkRecord apply(JsonNode t, SinkRecord record) throws Exception {
        Transformation<SinkRecord> transformation =
                (Transformation<SinkRecord>) instance(t.get("class").asText());
        transformation.configure(config(t.get("config")));
        JsonNode p = t.get("predicate");
        if (p != null && !p.isNull()) {
            Predicate<SinkRecord> predicate = (Predicate<SinkRecord>) instance(p.get("class").asText());
            predicate.configure(config(p.get("config")));
            boolean negate = t.path("negate").asBoolean(false);
            // Connect's TransformationStage: the transform applies when the
            // predicate matches, or with negate when it does not.
            if (negate == predicate.test(record)) {
                return record;
            }
        }
        return transformation.apply(record);
    }

    private static ObjectNode show(JsonConverter shown, HeaderConverter headerConverter, SinkRecord r)
            throws StageFailure {
        ObjectNode o = JSON.createObjectNode();
        o.put("topic", r.topic());
        o.put("partition", r.kafkaPartition());
        o.put("offset", r.kafkaOffset());
        if (r.timestamp() == null) {
            o.putNull("timestamp");
        } else {
            o.put("timestamp", r.timestamp());
        }
        o.set("key", stage("output", () -> envelope(shown, r.topic(), new SchemaAndValue(r.keySchema(), r.key()))));
        o.set("value", stage("output", () -> envelope(shown, r.topic(), new SchemaAndValue(r.valueSchema(), r.value()))));
        ArrayNode headers = o.putArray("headers");
        for (Header h : r.headers()) {
            JsonNode v = stage("output", () -> envelope(shown, r.topic(), new SchemaAndValue(h.schema(), h.value())));
            headers.addArray().add(h.key()).add(v);
        }
        ArrayNode raw = o.putArray("header_bytes");
        for (Header h : r.headers()) {
            byte[] b = stage("output", () -> headerConverter.fromConnectHeader(r.topic(), h.key(), h.schema(), h.value()));
            raw.addArray().add(h.key()).add(b == null ? null : Base64.getEncoder().encodeToString(b));
        }
        return o;
    }

    private static JsonNode envelope(JsonConverter shown, String topic, SchemaAndValue sv) throws Exception {
        byte[] b = shown.fromConnectData(topic, sv.schema(), sv.value());
        return b == null ? NullNode.getInstance() : JSON.readTree(b);
    }

    private static JsonConverter outputConverter(JsonNode options) {
        Map<String, Object> conf = config(options);
        conf.put("schemas.enable", "true");
        JsonConverter c = new JsonConverter();
        c.configure(conf, false);
        return c;
    }

    private static Converter converter(JsonNode spec, boolean isKey, String stage) throws StageFailure {
        String cls = spec == null ? "org.apache.kafka.connect.converters.ByteArrayConverter" : spec.get("class").asText();
        return stage(stage, () -> {
            Converter c = (Converter) instance(cls);
            c.configure(config(spec == null ? null : spec.get("config")), isKey);
            return c;
        });
    }

    private static HeaderConverter headerConverter(JsonNode spec) throws StageFailure {
        String cls = spec == null ? "org.apache.kafka.connect.storage.SimpleHeaderConverter" : spec.get("class").asText();
        return stage("header_converter", () -> {
            HeaderConverter c = (HeaderConverter) instance(cls);
            c.configure(config(spec == null ? null : spec.get("config")));
            return c;
        });
    }

    private static Object instance(String cls) throws Exception {
        return Class.forName(cls).getDeclaredConstructor().newInstance();
    }

    private static Map<String, Object> config(JsonNode node) {
        Map<String, Object> m = new HashMap<>();
        if (node != null) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                m.put(e.getKey(), e.getValue().asText());
            }
        }
        return m;
    }

    private static byte[] bytes(JsonNode b64) {
        return b64 == null || b64.isNull() ? null : Base64.getDecoder().decode(b64.asText());
    }

    private static String text(JsonNode n, String field, String fallback) {
        return n.hasNonNull(field) ? n.get(field).asText() : fallback;
    }

    /** The exception's message and those of its causes. */
    private static String describe(Throwable t) {
        List<String> parts = new ArrayList<>();
        for (Throwable e = t; e != null && parts.size() < 5; e = e.getCause()) {
            parts.add(e.getClass().getSimpleName() + ": " + e.getMessage());
            if (e.getCause() == e) {
                break;
            }
        }
        return String.join(" (caused by ", parts) + ")".repeat(parts.size() - 1);
    }

    @FunctionalInterface
    private interface Step<T> {
        T run() throws Exception;
    }

    private static <T> T stage(String stage, Step<T> step) throws StageFailure {
        try {
            return step.run();
        } catch (Exception | LinkageError | AssertionError e) {
            throw new StageFailure(stage, e);
        }
    }
}
