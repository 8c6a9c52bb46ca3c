package lossnote

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Loss
		err  error // nil, ErrOtherNotice or ErrMalformed
	}{
		{"lost 3 exited with code 3", Loss{3, "exited with code 3"}, nil},
		{"lost 0 killed by signal SIGKILL", Loss{0, "killed by signal SIGKILL"}, nil},
		{"lost 2147483647 x", Loss{1<<31 - 1, "x"}, nil},
		{"lost 7  two  spaces ", Loss{7, " two  spaces "}, nil},
		{"lost 1 écrit en français", Loss{1, "écrit en français"}, nil},
		{"", Loss{}, ErrOtherNotice},
		{"hello 1 x", Loss{}, ErrOtherNotice},
		{"lostx 1 x", Loss{}, ErrOtherNotice},
		{"LOST 1 x", Loss{}, ErrOtherNotice},
		{"lost", Loss{}, ErrMalformed},
		{"lost ", Loss{}, ErrMalformed},
		{"lost 1", Loss{}, ErrMalformed},
		{"lost 1 ", Loss{}, ErrMalformed},
		{"lost -1 x", Loss{}, ErrMalformed},
		{"lost +1 x", Loss{}, ErrMalformed},
		{"lost 01 x", Loss{}, ErrMalformed},
		{"lost 1x x", Loss{}, ErrMalformed},
		{"lost 2147483648 x", Loss{}, ErrMalformed},
		{"lost 99999999999 x", Loss{}, ErrMalformed},
		{"lost  1 x", Loss{}, ErrMalformed},
		{"lost 1 tab\there", Loss{}, ErrMalformed},
		{"lost 1 cr\r", Loss{}, ErrMalformed},
		{"lost 1 nl\nx", Loss{}, ErrMalformed},
		{"lost 1 \xff", Loss{}, ErrMalformed},
		{"lost 1 \u0085", Loss{}, ErrMalformed},
		{"lost 1 " + strings.Repeat("c", MaxCause+1), Loss{}, ErrMalformed},
	} {
		got, err := Parse([]byte(tc.line))
		if tc.err == nil {
			if err != nil || got != tc.want {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
			}
			continue
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q) error = %v; want %v", tc.line, err, tc.err)
		}
	}
}

func TestAppend(t *testing.T) {
	for _, tc := range []struct {
		in   Loss
		want string
	}{
		{Loss{3, "exited with code 3"}, "lost 3 exited with code 3\n"},
		{Loss{0, ""}, "lost 0 unknown\n"},
		{Loss{5, "two\nlines\tand tab"}, "lost 5 two lines and tab\n"},
		{Loss{5, "bad \xff byte"}, "lost 5 bad   byte\n"},
		{Loss{1, strings.Repeat("é", MaxCause)}, "lost 1 " + strings.Repeat("é", MaxCause/2) + "\n"},
	} {
		got, err := Append([]byte("x"), tc.in)
		if err != nil || string(got) != "x"+tc.want {
			t.Errorf("Append(%+v) = %q, %v; want %q", tc.in, got, err, "x"+tc.want)
		}
		// Whatever Append writes, Parse reads back.
		l, err := Parse(bytes.TrimSuffix(got[1:], []byte("\n")))
		if err != nil || l.Rank != tc.in.Rank {
			t.Errorf("Parse(Append(%+v)) = %+v, %v", tc.in, l, err)
		}
		if len(got)-1 > MaxLine {
			t.Errorf("Append(%+v) wrote %d bytes, more than MaxLine %d", tc.in, len(got)-1, MaxLine)
		}
	}
	for _, r := range []int{-1, 1 << 31} {
		if got, err := Append(nil, Loss{Rank: r, Cause: "x"}); err == nil || len(got) != 0 {
			t.Errorf("Append(rank %d) = %q, %v; want nothing and an error", r, got, err)
		}
	}
}

// FuzzParse checks that Parse never panics, accepts only lines within the
// bounds, and that what it accepts Append writes back byte for byte.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"lost 3 exited with code 3", "lost 0 killed by signal SIGKILL", "lost 12 its host h2 was lost", "other 1 x", "lost 01 x", "lost 1 \xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		l, err := Parse(line)
		if err != nil {
			if !errors.Is(err, ErrOtherNotice) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q): unexpected error %v", line, err)
			}
			return
		}
		out, err := Append(nil, l)
		if err != nil {
			t.Fatalf("Append(%+v): %v", l, err)
		}
		if !bytes.Equal(out, append(append([]byte(nil), line...), '\n')) {
			t.Fatalf("Append(Parse(%q)) = %q", line, out)
		}
		if len(out) > MaxLine {
			t.Fatalf("line of %d bytes accepted, more than MaxLine", len(out))
		}
	})
}
