package core

import (
	"fmt"
	"strconv"
)

// ConfigError is a setting that a processor's constructor refused: out of
// range, or one that does not apply to that processor or cannot take effect
// with the others. Constructors return it; none panics. docs/configuration.md
// lists every setting and what each processor accepts.
type ConfigError struct {
	// Processor names the processor, for example "sqs-fifo" or "firehose".
	Processor string
	// Setting is the configuration field, for example "SkipGroupOnError".
	Setting string
	// Value is the setting's value, as text.
	Value string
	// Problem says what is wrong, briefly.
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("batchkit: %s: %s=%s: %s", e.Processor, e.Setting, e.Value, e.Problem)
}

// Is matches [ErrInvalidConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Validate checks the settings every processor shares, for the processor
// named processor: a negative Concurrency or DeadlineMargin, ReturnAtMargin
// without a positive DeadlineMargin, or a nil hook, is a [*ConfigError].
func (o Options) Validate(processor string) error {
	if o.Concurrency < 0 {
		return &ConfigError{Processor: processor, Setting: "Concurrency", Value: strconv.Itoa(o.Concurrency), Problem: "negative"}
	}
	if o.DeadlineMargin < 0 {
		return &ConfigError{Processor: processor, Setting: "DeadlineMargin", Value: o.DeadlineMargin.String(), Problem: "negative"}
	}
	if o.ReturnAtMargin && o.DeadlineMargin <= 0 {
		return &ConfigError{Processor: processor, Setting: "ReturnAtMargin", Value: "true", Problem: "needs a positive DeadlineMargin"}
	}
	for i, h := range o.Hooks {
		if h == nil {
			return &ConfigError{Processor: processor, Setting: "Hooks", Value: fmt.Sprintf("[%d]=nil", i), Problem: "a nil hook"}
		}
	}
	return nil
}

// Must returns p, or panics with err: for a processor built once at package
// level, where a configuration error is a programming error.
//
//	var processor = core.Must(processors.NewSQS(processors.Config{}))
func Must[P any](p P, err error) P {
	if err != nil {
		panic(err)
	}
	return p
}
