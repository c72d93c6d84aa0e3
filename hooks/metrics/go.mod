module github.com/batchkit/batchkit/hooks/metrics

go 1.26

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/batchkit/batchkit v0.1.0
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect

replace github.com/batchkit/batchkit => ../..
