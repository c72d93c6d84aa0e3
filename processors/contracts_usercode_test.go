package processors_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/internal/contracttest"
	"github.com/batchkit/batchkit/s3batch"
)

// Issue 18 §3: no user code runs outside recover. These are the user types
// whose methods panic, as a user's might.

// panicIn panics in its JSON methods and in Validate.
type panicIn struct{ V string }

func (*panicIn) UnmarshalJSON([]byte) error { panic("UnmarshalJSON blew up") }

// panicValid decodes but panics in Validate.
type panicValid struct {
	V string `json:"v"`
}

func (panicValid) Validate() error { panic("Validate blew up") }

// panicOut panics in MarshalJSON.
type panicOut struct{}

func (panicOut) MarshalJSON() ([]byte, error) { panic("MarshalJSON blew up") }

// nilErr is an error type whose Error dereferences its receiver: a typed
// nil *nilErr returned as an error panics in Error.
type nilErr struct{ msg string }

func (e *nilErr) Error() string { return e.msg }

// panicIs panics in Is; panicUnwrap in Unwrap.
type panicIs struct{}

func (panicIs) Error() string     { return "is" }
func (panicIs) Is(error) bool     { panic("Is blew up") }
func (panicIs) Unwrap() error     { return nil }
func (panicUnwrap) Error() string { return "unwrap" }
func (panicUnwrap) Unwrap() error { panic("Unwrap blew up") }

type panicUnwrap struct{}

// userSite is one place where firehose or s3batch calls user code, with a
// run that makes that code panic and the outcome the caller must see.
type userSite struct {
	pkg   string // "firehose" or "s3batch"
	where string // the *core.PanicError's Where ("" for the handler)
	name  string
	// run returns the record's result code and error (for Firehose, the
	// response record's Err; for S3, the result string).
	run func(t *testing.T) (code, detail string, err error)
}

func firehoseOne(t *testing.T, h firehose.Func) (string, string, error) {
	t.Helper()
	resp, err := firehose.Process(context.Background(), core.Must(firehose.New(firehose.Config{})), contracttest.FirehoseEvent(`{"v":"x"}`), h)
	require.NoError(t, err, "a user panic fails its record, not the invocation")
	r := resp.Records[0]
	return r.Result, "", r.Err
}

func s3One(t *testing.T, h s3batch.Func) (string, string, error) {
	t.Helper()
	resp, err := s3batch.Process(context.Background(), core.Must(s3batch.New(s3batch.Config{})), contracttest.S3Event("k"), h)
	require.NoError(t, err, "a user panic fails its task, not the invocation")
	r := resp.Results[0]
	return r.ResultCode, r.ResultString, nil
}

var userSites = []userSite{
	{pkg: "firehose", where: "", name: "handler panics", run: func(t *testing.T) (string, string, error) {
		return firehoseOne(t, func(context.Context, *firehose.Record) (firehose.Result, error) { panic("handler blew up") })
	}},
	{pkg: "firehose", where: "firehose.JSON (decoding the payload)", name: "payload UnmarshalJSON panics", run: func(t *testing.T) (string, string, error) {
		return firehoseOne(t, firehose.JSON(func(context.Context, panicIn, *firehose.Record) (string, error) { return "", nil }))
	}},
	{pkg: "firehose", where: "firehose.JSON (decoding the payload)", name: "payload UnmarshalJSON panics", run: func(t *testing.T) (string, string, error) {
		return firehoseOne(t, firehose.JSON(func(context.Context, panicUnmarshal, *firehose.Record) (string, error) { return "", nil }))
	}},
	{pkg: "firehose", where: "firehose.JSON (encoding the result)", name: "output MarshalJSON panics", run: func(t *testing.T) (string, string, error) {
		return firehoseOne(t, firehose.JSON(func(context.Context, map[string]string, *firehose.Record) (panicOut, error) { return panicOut{}, nil }))
	}},
	{pkg: "s3batch", where: "", name: "handler panics", run: func(t *testing.T) (string, string, error) {
		return s3One(t, func(context.Context, *s3batch.Task) (string, error) { panic("handler blew up") })
	}},
	{pkg: "s3batch", where: "s3batch: the task error's Error method", name: "typed-nil error", run: func(t *testing.T) (string, string, error) {
		return s3One(t, func(context.Context, *s3batch.Task) (string, error) {
			var e *nilErr
			return "", e
		})
	}},
	{pkg: "s3batch", where: "s3batch: the task error's Is or Unwrap method", name: "error Is panics", run: func(t *testing.T) (string, string, error) {
		return s3One(t, func(context.Context, *s3batch.Task) (string, error) { return "", panicIs{} })
	}},
	{pkg: "s3batch", where: "s3batch: the task error's Is or Unwrap method", name: "error Unwrap panics", run: func(t *testing.T) (string, string, error) {
		return s3One(t, func(context.Context, *s3batch.Task) (string, error) { return "", panicUnwrap{} })
	}},
	{pkg: "s3batch", where: "s3batch.Args (decoding the user arguments)", name: "arguments UnmarshalJSON panics", run: func(t *testing.T) (string, string, error) {
		return s3One(t, s3batch.Args(func(context.Context, panicIn, *s3batch.Task) (string, error) { return "", nil }))
	}},
}

// TestContractsUserCodePanicsFailTheRecord makes every user-code call site of
// firehose and s3batch panic: each fails its record (ProcessingFailed,
// TemporaryFailure, or PermanentFailure for user arguments that can never
// decode) with a *core.PanicError naming the place, and the process lives.
func TestContractsUserCodePanicsFailTheRecord(t *testing.T) {
	for _, s := range userSites {
		t.Run(s.pkg+"/"+s.name, func(t *testing.T) {
			code, detail, err := s.run(t)
			switch s.pkg {
			case "firehose":
				require.Equal(t, events.KinesisFirehoseTransformedStateProcessingFailed, code)
				var pe *core.PanicError
				require.ErrorAs(t, err, &pe)
				require.Equal(t, s.where, pe.Where)
			case "s3batch":
				want := s3batch.TemporaryFailure
				if strings.HasPrefix(s.where, "s3batch.Args") {
					want = s3batch.PermanentFailure // the same arguments never decode
				}
				require.Equal(t, want, code)
				if s.where == "" {
					require.Contains(t, detail, "batchkit: record handler panicked")
				} else {
					require.Contains(t, detail, "batchkit: "+s.where+" panicked")
				}
			}
		})
	}
}

// TestContractsUserCodeCallSitesAreEnumerated reads the sources of firehose
// and s3batch: every call into user code goes through userfn.Call (the
// handler) or userfn.Guard (methods of user types), and every such site is
// in userSites, so that a new one cannot be added without its test. Calls
// that reach user methods (errors.Is, json.Marshal, payload.Decode, Error,
// String, MarshalJSON, a handler) must sit inside a guard, but for the few
// allowed below whose callers are guarded.
func TestContractsUserCodeCallSitesAreEnumerated(t *testing.T) {
	// Functions whose user-code calls run under their caller's guard.
	allowed := map[string]bool{
		"s3batch.permanentError.Error":           true, // called by failure's guarded Error
		"s3batch.keyDecodeError.Error":           true, // formats net/url's error
		"s3batch.Response.MarshalJSON":           true, // encodes batchkit's own type
		"s3batch.Args":                           true, // json.Marshal of a map[string]string; f is the handler, under Call
		"firehose.JSON":                          true, // f is the handler, under Call
		"firehose.KinesisMetadata.UnmarshalJSON": true, // batchkit's own decoder, no user code
	}
	sites := map[string]int{}
	for _, pkg := range []string{"firehose", "s3batch"} {
		dir := filepath.Join("..", pkg)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		fset := token.NewFileSet()
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
			require.NoError(t, err)
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				name := pkg + "." + funcName(fn)
				checkGuarded(t, fset, name, fn.Body, false, allowed[name], sites, pkg)
			}
		}
	}
	want := map[string]int{}
	for _, s := range userSites {
		want[s.pkg+"|"+s.where] = 1
	}
	got := map[string]int{}
	for k := range sites {
		got[k] = 1
	}
	require.Equal(t, want, got, "every guarded call site has a case in userSites, and every case a site")
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// checkGuarded walks n; guarded: inside a func literal given to
// userfn.Guard. It records the guard sites and fails on a call into user
// code outside them.
func checkGuarded(t *testing.T, fset *token.FileSet, fn string, n ast.Node, guarded, allowed bool, sites map[string]int, pkg string) {
	ast.Inspect(n, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, _ := call.Fun.(*ast.SelectorExpr)
		if sel != nil {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "userfn" {
				switch sel.Sel.Name {
				case "Call":
					sites[pkg+"|"]++
					return false // its handler runs under Call's recover
				case "Guard":
					lit, ok := call.Args[0].(*ast.BasicLit)
					require.True(t, ok, "%s: userfn.Guard needs a literal place name", fset.Position(call.Pos()))
					where, _ := strconv.Unquote(lit.Value)
					sites[pkg+"|"+where]++
					for _, a := range call.Args[1:] {
						checkGuarded(t, fset, fn, a, true, allowed, sites, pkg)
					}
					return false
				}
			}
		}
		if guarded || allowed {
			return true
		}
		if reachesUserCode(call) {
			t.Errorf("%s (%s): %s calls user code outside recover; wrap it in userfn.Guard and add a case to userSites",
				fset.Position(call.Pos()), fn, types(call))
		}
		return true
	})
}

// reachesUserCode reports calls that run methods of user types or a user
// function.
func reachesUserCode(call *ast.CallExpr) bool {
	switch fun := call.Fun.(type) {
	case *ast.SelectorExpr:
		// batchkit's own values: the shared options, a *core.PanicError.
		if s, ok := fun.X.(*ast.SelectorExpr); ok && s.Sel.Name == "Options" {
			return false
		}
		if x, ok := fun.X.(*ast.Ident); ok && x.Name == "perr" {
			return false
		}
		if x, ok := fun.X.(*ast.Ident); ok {
			switch x.Name + "." + fun.Sel.Name {
			case "errors.Is", "errors.As", "errors.Unwrap", "json.Marshal", "json.Unmarshal", "payload.Decode", "payload.Validate":
				return true
			}
		}
		if idx, ok := fun.X.(*ast.IndexExpr); ok { // payload.Decode[T]
			if s, ok := idx.X.(*ast.SelectorExpr); ok {
				if x, ok := s.X.(*ast.Ident); ok && x.Name == "payload" {
					return true
				}
			}
		}
		return slices.Contains([]string{"Error", "String", "MarshalJSON", "UnmarshalJSON", "Validate", "Is", "Unwrap"}, fun.Sel.Name) ||
			fun.Sel.Name == "h" // a handler held in a field
	case *ast.IndexExpr:
		if s, ok := fun.X.(*ast.SelectorExpr); ok {
			if x, ok := s.X.(*ast.Ident); ok && x.Name == "payload" {
				return true
			}
		}
	case *ast.Ident:
		return fun.Name == "f" || fun.Name == "h" // a user function held in a variable
	}
	return false
}

func types(call *ast.CallExpr) string {
	switch fun := call.Fun.(type) {
	case *ast.SelectorExpr:
		if x, ok := fun.X.(*ast.Ident); ok {
			return x.Name + "." + fun.Sel.Name
		}
		return "." + fun.Sel.Name
	case *ast.Ident:
		return fun.Name
	}
	return "a call"
}

// panicUnmarshal is a payload type whose UnmarshalJSON panics.
type panicUnmarshal struct{}

func (*panicUnmarshal) UnmarshalJSON([]byte) error { panic("UnmarshalJSON blew up") }
