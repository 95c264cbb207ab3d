curl -H "Content-Type: application/json" -X POST http://localhost:8081/connectors -d '{
  "name": "test-connector",
  "config": {
    "connector.class": "io.aiven.kafka.connect.http.HttpSinkConnector",
    "topics": "<chosen topic name>",
    "http.url": "https://<subdomain>.requestcatcher.com/test",
    "http.authorization.type": "none",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter"
  }
}'
