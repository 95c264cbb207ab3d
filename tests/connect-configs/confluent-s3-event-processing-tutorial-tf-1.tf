  connector_configuration = {
    "connector.class"      = "io.confluent.connect.s3.S3SinkConnector"
    "tasks.max"            = 2
    "topics"               = var.topic_name
    "s3.region"            = var.region
    "s3.bucket.name"       = aws_s3_bucket.msk_connect_sink.id
    "flush.size"           = 1
    "storage.class"        = "io.confluent.connect.s3.storage.S3Storage"
    "format.class"         = "io.confluent.connect.s3.format.json.JsonFormat"
    "partitioner.class"    = "io.confluent.connect.storage.partitioner.DefaultPartitioner"
    "key.converter"        = "org.apache.kafka.connect.storage.StringConverter"
    "value.converter"      = "org.apache.kafka.connect.storage.StringConverter"
    "schema.compatibility" = "NONE"
  }
