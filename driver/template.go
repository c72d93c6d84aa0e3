package driver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrTemplate matches, with errors.Is, every [*TemplateError].
var ErrTemplate = errors.New("batchkit/driver: invalid SAM template")

// TemplateError is a SAM template that the driver cannot read or map.
type TemplateError struct {
	// Path is the template's file, if any.
	Path string
	// Where names the resource or property at fault.
	Where string
	// Reason says what is wrong and what to do.
	Reason string
}

// Error says where the template is wrong and why.
func (e *TemplateError) Error() string {
	where := e.Path
	if e.Where != "" {
		if where != "" {
			where += ": "
		}
		where += e.Where
	}
	return fmt.Sprintf("batchkit/driver: SAM template %s: %s", where, e.Reason)
}

// Is matches [ErrTemplate].
func (e *TemplateError) Is(target error) bool { return target == ErrTemplate }

// Template is a SAM (or CloudFormation) template, read for its functions'
// event source mappings. CloudFormation's short intrinsic functions are
// read as their long form: !Ref X is {"Ref": "X"}, !GetAtt Q.Arn is
// {"Fn::GetAtt": "Q.Arn"}, !Sub s is {"Fn::Sub": s}, and so on.
type Template struct {
	// Path is the file the template was read from; empty when parsed from
	// bytes.
	Path string
	// Parameters are the template's parameters, by name.
	Parameters map[string]map[string]any
	// Resources are the template's resources, by logical ID.
	Resources map[string]Resource
	// Globals are the template's Globals.Function properties, which SAM
	// gives every function that does not set them.
	Globals map[string]any
	// FilterQuota is the account's quota of filters per event source
	// mapping, checked when the mappings are read and opened: 0 means
	// Lambda's default, 5; at most 10 with a quota increase.
	FilterQuota int

	prefix string // of the resources' names, see WithPrefix
}

// WithPrefix returns the template with prefix before its resources' names
// when it resolves !Ref, !GetAtt and !Sub, as [Env.Prefix] names them on the
// servers: use it to read a function's environment for a run with a prefix.
func (t *Template) WithPrefix(prefix string) *Template {
	c := *t
	c.prefix = prefix
	return &c
}

// Resource is one resource of a [Template].
type Resource struct {
	// Type is the resource type, such as "AWS::SQS::Queue".
	Type string
	// Properties are its properties, with intrinsic functions as maps.
	Properties map[string]any
}

// LoadTemplate reads and parses a SAM template file.
func LoadTemplate(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &TemplateError{Path: path, Reason: fmt.Sprintf("cannot read it: %v", err)}
	}
	t, err := ParseTemplate(data)
	if err != nil {
		var te *TemplateError
		if errors.As(err, &te) {
			te.Path = path
		}
		return nil, err
	}
	t.Path = path
	return t, nil
}

// ParseTemplate parses a SAM template in YAML (or JSON, which is YAML).
func ParseTemplate(data []byte) (*Template, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, &TemplateError{Reason: fmt.Sprintf("not YAML: %v", err)}
	}
	if n.Kind == 0 {
		return nil, &TemplateError{Reason: "empty"}
	}
	v, err := decodeNode(&n)
	if err != nil {
		return nil, &TemplateError{Reason: err.Error()}
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, &TemplateError{Reason: "not a mapping at the top"}
	}
	t := &Template{Parameters: map[string]map[string]any{}, Resources: map[string]Resource{}}
	if params, ok := root["Parameters"].(map[string]any); ok {
		for k, p := range params {
			if m, ok := p.(map[string]any); ok {
				t.Parameters[k] = m
			}
		}
	}
	if g, ok := root["Globals"].(map[string]any); ok {
		t.Globals, _ = g["Function"].(map[string]any)
	}
	res, ok := root["Resources"].(map[string]any)
	if !ok {
		return nil, &TemplateError{Where: "Resources", Reason: "missing or not a mapping"}
	}
	for id, r := range res {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, &TemplateError{Where: "Resources." + id, Reason: "not a mapping"}
		}
		typ, _ := m["Type"].(string)
		props, _ := m["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		t.Resources[id] = Resource{Type: typ, Properties: props}
	}
	return t, nil
}

// decodeNode turns a YAML node into plain values, with tagged nodes (!Ref,
// !GetAtt, !Sub, ...) as one-key maps of their long form.
func decodeNode(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return decodeNode(n.Content[0])
	case yaml.AliasNode:
		return decodeNode(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := decodeNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			val, err := decodeNode(c)
			if err != nil {
				return nil, err
			}
			s[i] = val
		}
		v = s
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!!") || n.Tag == "" {
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
		} else {
			v = n.Value
		}
	}
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		name := strings.TrimPrefix(tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		if name == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				res, attr, _ := strings.Cut(s, ".")
				v = []any{res, attr}
			}
		}
		return map[string]any{name: v}, nil
	}
	return v, nil
}

// Functions returns the logical IDs of the template's functions
// (AWS::Serverless::Function), sorted.
func (t *Template) Functions() []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == "AWS::Serverless::Function" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Dir is the directory of the template's file ("." when parsed from
// bytes): CodeUri is relative to it.
func (t *Template) Dir() string {
	if t.Path == "" {
		return "."
	}
	return filepath.Dir(t.Path)
}

// Pseudo parameters as the driver resolves them on local servers.
const (
	// LocalAccountID is the AWS::AccountId of the local servers.
	LocalAccountID = "000000000000"
)

// refTarget returns the logical ID (or parameter) that a !Ref or !GetAtt
// names, and the attribute for !GetAtt.
func refTarget(v any) (id, attr string, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", "", false
	}
	if r, ok := m["Ref"].(string); ok {
		return r, "", true
	}
	switch g := m["Fn::GetAtt"].(type) {
	case []any:
		if len(g) == 2 {
			id, _ := g[0].(string)
			attr, _ := g[1].(string)
			return id, attr, id != ""
		}
	case string:
		id, attr, _ := strings.Cut(g, ".")
		return id, attr, true
	}
	return "", "", false
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// scalar resolves a property to a string: a literal, a !Ref to a parameter
// (its default) or a resource (its name), a !GetAtt (the resource's name or
// ARN on the local servers), or a !Sub of those and the pseudo parameters.
func (t *Template) scalar(v any, region string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case map[string]any:
		if id, attr, ok := refTarget(x); ok {
			return t.resolveRef(id, attr, region)
		}
		if s, ok := x["Fn::Sub"]; ok {
			str, vars := s, map[string]any{}
			if l, ok := s.([]any); ok && len(l) == 2 {
				str = l[0]
				vars, _ = l[1].(map[string]any)
			}
			text, ok := str.(string)
			if !ok {
				return "", fmt.Errorf("!Sub takes a string")
			}
			var err error
			out := subVar.ReplaceAllStringFunc(text, func(m string) string {
				name := m[2 : len(m)-1]
				if v, ok := vars[name]; ok {
					s, e := t.scalar(v, region)
					if e != nil {
						err = e
					}
					return s
				}
				id, attr, _ := strings.Cut(name, ".")
				s, e := t.resolveRef(id, attr, region)
				if e != nil {
					err = e
				}
				return s
			})
			return out, err
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			parts, _ := j[1].([]any)
			strs := make([]string, len(parts))
			for i, p := range parts {
				s, err := t.scalar(p, region)
				if err != nil {
					return "", err
				}
				strs[i] = s
			}
			return strings.Join(strs, sep), nil
		}
		for k := range x {
			return "", fmt.Errorf("the intrinsic function %s is not supported here; use a literal, !Ref, !GetAtt or !Sub", k)
		}
	}
	return "", fmt.Errorf("%v is not a string", v)
}

// resolveRef resolves !Ref id or !GetAtt id.attr on the local servers.
func (t *Template) resolveRef(id, attr, region string) (string, error) {
	switch id {
	case "AWS::Region":
		return region, nil
	case "AWS::AccountId":
		return LocalAccountID, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::StackName":
		return "batchkit-driver", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	}
	if p, ok := t.Parameters[id]; ok {
		if d, ok := p["Default"]; ok {
			return t.scalar(d, region)
		}
		return "", fmt.Errorf("parameter %s has no Default; the driver cannot ask for it", id)
	}
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("!Ref/!GetAtt names %s, which is neither a parameter nor a resource of the template", id)
	}
	name := t.physicalName(id)
	switch r.Type {
	case "AWS::SQS::Queue":
		switch attr {
		case "Arn":
			return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, LocalAccountID, name), nil
		case "QueueName", "":
			return name, nil
		case "QueueUrl":
			return name, nil
		}
	case "AWS::Kinesis::Stream":
		switch attr {
		case "Arn":
			return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", region, LocalAccountID, name), nil
		case "":
			return name, nil
		}
	case "AWS::DynamoDB::Table":
		switch attr {
		case "Arn":
			return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, LocalAccountID, name), nil
		case "StreamArn":
			return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s/stream/latest", region, LocalAccountID, name), nil
		case "":
			return name, nil
		}
	case "AWS::SNS::Topic":
		switch attr {
		case "", "TopicArn":
			return fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, LocalAccountID, name), nil
		case "TopicName":
			return name, nil
		}
	case "AWS::S3::Bucket":
		switch attr {
		case "Arn":
			return "arn:aws:s3:::" + name, nil
		case "":
			return name, nil
		}
	case "AWS::Serverless::Function", "AWS::Lambda::Function":
		switch attr {
		case "Arn":
			return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, LocalAccountID, id), nil
		case "":
			return id, nil
		}
	}
	if attr == "" {
		return id, nil
	}
	return "", fmt.Errorf("!GetAtt %s.%s: the driver does not know this attribute of a %s", id, attr, r.Type)
}

// physicalName is the name of a resource on the local servers: its name
// property (QueueName, Name, TableName) when it is a literal, otherwise
// its logical ID (with ".fifo" for a FIFO queue).
func (t *Template) physicalName(id string) string {
	r := t.Resources[id]
	key := map[string]string{"AWS::SQS::Queue": "QueueName", "AWS::Kinesis::Stream": "Name", "AWS::DynamoDB::Table": "TableName",
		"AWS::SNS::Topic": "TopicName", "AWS::S3::Bucket": "BucketName"}[r.Type]
	if s, ok := r.Properties[key].(string); ok && s != "" {
		return t.prefix + s
	}
	if r.Type == "AWS::S3::Bucket" {
		// Bucket names are lowercase.
		return t.prefix + strings.ToLower(id)
	}
	if r.Type == "AWS::SQS::Queue" && truthy(r.Properties["FifoQueue"]) {
		return t.prefix + id + ".fifo"
	}
	return t.prefix + id
}

// truthy reads a boolean property written as a boolean or a string.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// integer reads an integer property written as a number or a string.
func integer(v any) (int, bool, error) {
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case int:
		return x, true, nil
	case float64:
		return int(x), true, nil
	case string:
		n, err := strconv.Atoi(x)
		if err != nil {
			return 0, false, fmt.Errorf("%q is not an integer", x)
		}
		return n, true, nil
	}
	return 0, false, fmt.Errorf("%v is not an integer", v)
}

// functionTimeout returns a function's Timeout ([DefaultFunctionTimeout]
// when the function and Globals set none).
func (t *Template) functionTimeout(id string) (time.Duration, error) {
	c, err := t.Function(id)
	if err != nil {
		return 0, err
	}
	if c.Timeout <= 0 {
		return DefaultFunctionTimeout, nil
	}
	return time.Duration(c.Timeout) * time.Second, nil
}

// FunctionConfig is what the driver reads of a function to run it under the
// emulator.
type FunctionConfig struct {
	// CodeURI is the function's CodeUri, relative to the template's
	// directory.
	CodeURI string
	// Timeout is its Timeout in seconds; 0 when unset.
	Timeout int
	// Environment are its Environment.Variables, as KEY=value, with the
	// intrinsics resolved for the local servers.
	Environment []string
}

// Function returns the configuration of the function with logical ID id,
// with the template's Globals.Function where the function sets nothing
// (environment variables are merged, the function's winning).
func (t *Template) Function(id string) (FunctionConfig, error) {
	r, ok := t.Resources[id]
	if !ok || r.Type != "AWS::Serverless::Function" {
		return FunctionConfig{}, &TemplateError{Path: t.Path, Where: id, Reason: "not an AWS::Serverless::Function"}
	}
	prop := func(k string) any {
		if v, ok := r.Properties[k]; ok {
			return v
		}
		return t.Globals[k]
	}
	var c FunctionConfig
	c.CodeURI, _ = prop("CodeUri").(string)
	c.Timeout, _, _ = integer(prop("Timeout"))
	vars := map[string]any{}
	for _, src := range []any{t.Globals["Environment"], r.Properties["Environment"]} {
		env, _ := src.(map[string]any)
		v, _ := env["Variables"].(map[string]any)
		for k, x := range v {
			vars[k] = x
		}
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := t.scalar(vars[k], DefaultRegion)
		if err != nil {
			return c, &TemplateError{Path: t.Path, Where: id + ".Properties.Environment.Variables." + k, Reason: err.Error()}
		}
		c.Environment = append(c.Environment, k+"="+v)
	}
	return c, nil
}
