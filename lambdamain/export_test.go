package lambdamain

import (
	"context"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
