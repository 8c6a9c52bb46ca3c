package comm

import (
	"bytes"
	"path"
	"runtime"
	"strconv"
	"strings"
)

// Call sites for hang diagnostics. A blocked operation carries the program
// counters of its goroutine, taken when it went to sleep (never on the fast
// path); a report turns them into the user-level call (the outermost spmd
// function, such as collective.Barrier or comm.Recv), the innermost
// function of that call's package (a collective's algorithm), and the
// user's caller (the first frame outside the spmd library). Goroutines not
// blocked in spmd are found in the text of runtime.Stack.

// libraryPrefix starts the function names of the spmd library. The
// module's examples and tests count as user code.
const libraryPrefix = "github.com/spmd-go/spmd/"

// callSite is where a goroutine entered spmd, or where it is.
type callSite struct {
	call string // the user-level spmd function, "Barrier"; "" if unknown
	alg  string // a collective's algorithm, "ring"; "" if unknown
	fn   string // the user's function, "main.main"
	site string // the user's file:line, file without its directory, "main.go:24"
}

// isLibrary reports whether the function named fn (as runtime.Frame names
// it) belongs to the spmd library.
func isLibrary(fn string) bool {
	rest, ok := strings.CutPrefix(fn, libraryPrefix)
	if !ok {
		return false
	}
	pkg := packageOf(rest)
	return !strings.HasPrefix(pkg, "examples") && !strings.HasSuffix(pkg, "_test")
}

// packageOf returns the import path part of a function name.
func packageOf(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	if dot := strings.IndexByte(fn[slash+1:], '.'); dot >= 0 {
		return fn[:slash+1+dot]
	}
	return fn
}

// shortName is a function name without its import path's directories and
// without type arguments: "collective.Barrier", "comm.(*Comm).Recv".
func shortName(fn string) string {
	fn = strings.ReplaceAll(fn, "[...]", "")
	return fn[strings.LastIndexByte(fn, '/')+1:]
}

// memberName is a function's own name: "Barrier", "Recv" (for a method or
// a generic function too); closures are named after their function.
func memberName(fn string) string {
	s := shortName(fn)
	_, s, _ = strings.Cut(s, ".") // drop the package
	if strings.HasPrefix(s, "(") {
		_, s, _ = strings.Cut(s, ").")
	}
	s, _, _ = strings.Cut(s, ".")
	return s
}

// siteOf resolves the program counters of a blocked goroutine. A
// collective's algorithm is found by the name of its function: the call's
// name in lower camel case followed by the algorithm's, as
// allreduceRing for Allreduce.
func siteOf(pcs []uintptr) callSite {
	var cs callSite
	frames := runtime.CallersFrames(pcs)
	var library []string // the functions of the spmd library, innermost first
	for {
		f, more := frames.Next()
		if isLibrary(f.Function) {
			library = append(library, f.Function)
		} else if len(library) > 0 && f.Function != "" {
			cs.fn, cs.site = shortName(f.Function), path.Base(f.File)+":"+strconv.Itoa(f.Line)
			break
		}
		if !more {
			break
		}
	}
	if len(library) == 0 {
		return cs
	}
	outer := library[len(library)-1]
	cs.call = memberName(outer)
	if cs.call == "" {
		return cs
	}
	cs.alg = algorithmOf(cs.call, outer, library)
	return cs
}

// algorithmOf names the algorithm of a collective call from the library
// functions its goroutine is in, innermost first: the innermost function
// of outer's package named like the call in lower camel case followed by
// the algorithm, "allreduceRing" for Allreduce, less dispatchers and
// helpers; "" if there is none.
func algorithmOf(call, outer string, library []string) string {
	lower := strings.ToLower(call[:1]) + call[1:]
	for _, fn := range library {
		name := memberName(fn)
		if packageOf(fn) != packageOf(outer) || len(name) <= len(lower) || !strings.HasPrefix(name, lower) {
			continue
		}
		rest := name[len(lower):]
		if rest[0] < 'A' || rest[0] > 'Z' || notAlgorithm[rest] {
			continue
		}
		for _, suffix := range []string{"From", "Root"} {
			rest = strings.TrimSuffix(rest, suffix)
		}
		return strings.ToLower(rest[:1]) + rest[1:]
	}
	return ""
}

// notAlgorithm holds the name endings of the collective functions that
// are named after their call but are not algorithms (dispatchers, helpers).
var notAlgorithm = map[string]bool{"Run": true, "Case": true, "Cases": true, "Into": true, "LeftInto": true,
	"Self": true, "Obj": true}

// userGoroutine is a goroutine of the program that is not inside spmd.
type userGoroutine struct {
	where callSite // fn and site of its innermost user frame
	stack string   // its stack as runtime.Stack writes it, offsets removed
}

// idleUserGoroutines parses the text of runtime.Stack(all=true) and
// returns the goroutines that run user code and are not inside the spmd
// library: where a rank that is not blocked in spmd is instead. Goroutines
// of the runtime, the standard library and spmd itself are left out.
func idleUserGoroutines(dump []byte) []userGoroutine {
	var out []userGoroutine
	for _, g := range bytes.Split(dump, []byte("\n\n")) {
		lines := strings.Split(strings.TrimSpace(string(g)), "\n")
		if len(lines) < 3 || !strings.HasPrefix(lines[0], "goroutine ") {
			continue
		}
		var ug userGoroutine
		inSpmd, user := false, false
		var kept []string
		kept = append(kept, lines[0])
		for i := 1; i+1 < len(lines); i += 2 {
			fn := lines[i]
			if p := strings.LastIndexByte(fn, '('); p > 0 {
				fn = fn[:p]
			}
			fn = strings.TrimPrefix(fn, "created by ")
			if j := strings.Index(fn, " in goroutine "); j >= 0 {
				fn = fn[:j]
			}
			file := strings.TrimSpace(lines[i+1])
			if j := strings.LastIndex(file, " +0x"); j >= 0 {
				file = file[:j]
			}
			kept = append(kept, lines[i], "\t"+file)
			switch {
			case isLibrary(fn):
				inSpmd = true
			case !isStandard(fn) && !strings.HasPrefix(lines[i], "created by "):
				if !user {
					ug.where = callSite{fn: shortName(fn), site: path.Base(file)}
				}
				user = true
			}
		}
		if user && !inSpmd {
			ug.stack = strings.Join(kept, "\n")
			out = append(out, ug)
		}
	}
	return out
}

// isStandard reports whether fn belongs to the Go runtime or standard
// library: its import path's first element has no dot (and it is not the
// main package).
func isStandard(fn string) bool {
	first, _, _ := strings.Cut(packageOf(fn), "/")
	return !strings.Contains(first, ".") && first != "main"
}
