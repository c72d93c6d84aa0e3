module github.com/batchkit/batchkit

go 1.25.0

require (
	github.com/aws/aws-lambda-go v1.54.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
