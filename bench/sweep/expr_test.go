package sweep

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTemplateExpand(t *testing.T) {
	v := Vars{P: 16, Nodes: 2, PPN: 8}
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"{p}", "16"},
		{"-n={round(1024*sqrt(p))}", "-n=4096"},
		{"{nodes}x{ppn}", "2x8"},
		{"{2^3^2}", "512"}, // right-associative
		{"{-2^2}", "-4"},
		{"{(1+2)*3 - 4/8}", "8.5"},
		{"{cbrt(p*4)}", "4"},
		{"{floor(p/3)},{ceil(p/3)},{round(2.5)}", "5,6,3"},
		{"{1e3*p}", "16000"},
		{"{{literal}}", "{literal}"},
		{"{ p / nodes }", "8"},
		{"{p/3}", "5.333333333333333"},
	} {
		tp, err := ParseTemplate(tc.in)
		require.NoError(t, err, tc.in)
		got, err := tp.Expand(v)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestTemplateErrorsNameTheProblem(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"{q}", `unknown name "q"`},
		{"{sqr(p)}", `unknown name "sqr"`},
		{"{p+}", "ends early"},
		{"{p", "never closed"},
		{"p}", "stray }"},
		{"{(p}", "missing )"},
		{"{sqrt p}", "needs (argument)"},
		{"{p p}", `unexpected 'p'`},
		{"{1..2}", "bad number"},
		{"{}", "ends early"},
		{"{p$}", `unexpected '$'`},
	} {
		_, err := ParseTemplate(tc.in)
		require.Error(t, err, tc.in)
		assert.True(t, errors.Is(err, ErrExpr), tc.in)
		assert.Contains(t, err.Error(), tc.want, tc.in)
		assert.Contains(t, err.Error(), tc.in, "the error quotes the argument")
	}
}

func TestTemplateNonFiniteIsAnError(t *testing.T) {
	for _, in := range []string{"{1/(p-p)}", "{sqrt(0-p)}"} {
		tp, err := ParseTemplate(in)
		require.NoError(t, err)
		_, err = tp.Expand(Vars{P: 4, Nodes: 1, PPN: 4})
		assert.ErrorIs(t, err, ErrExpr, in)
	}
}

func TestExprDepthIsBounded(t *testing.T) {
	deep := ""
	for range 500 {
		deep += "("
	}
	_, err := ParseExpr(deep + "1")
	assert.ErrorContains(t, err, "nested too deeply")
	_, err = ParseExpr(string(make([]byte, 0)) + "------------------------------------------------------------------------------------------------------------1")
	assert.ErrorContains(t, err, "nested too deeply")
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"{p}", "{round(1024*sqrt(p))}", "{{x}}", "{2^-p}", "{(p+nodes)*ppn/2}", "{p", "}", "{1e-3}", "{cbrt(floor(ceil(round(p))))}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := ParseTemplate(s)
		if err != nil {
			if !errors.Is(err, ErrExpr) {
				t.Fatalf("error %v does not wrap ErrExpr", err)
			}
			return
		}
		// A parsed template expands or fails cleanly, never panics.
		if _, err := tp.Expand(Vars{P: 4, Nodes: 2, PPN: 2}); err != nil && !errors.Is(err, ErrExpr) {
			t.Fatalf("expand error %v does not wrap ErrExpr", err)
		}
	})
}
