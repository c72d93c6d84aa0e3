module github.com/batchkit/batchkit/hooks/sentry

go 1.26

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/batchkit/batchkit v0.1.0
	github.com/getsentry/sentry-go v0.50.0
	github.com/stretchr/testify v1.12.1
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

replace github.com/batchkit/batchkit => ../..
