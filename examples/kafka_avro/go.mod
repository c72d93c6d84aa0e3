module github.com/batchkit/batchkit/examples/kafka_avro

go 1.26.0

replace (
	github.com/batchkit/batchkit => ../..
	github.com/batchkit/batchkit/kafkacodec => ../../kafkacodec
)

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/batchkit/batchkit v0.1.0
	github.com/batchkit/batchkit/kafkacodec v0.1.0
	github.com/hamba/avro/v2 v2.31.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/go-viper/mapstructure/v2 v2.4.0 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
