package pmi

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLineAccepts(t *testing.T) {
	tests := []struct {
		name string
		line string
		want message
	}{
		{"bare command", "cmd=barrier_in", message{cmd: "barrier_in"}},
		{"init as MPICH sends it", "cmd=init pmi_version=1 pmi_subversion=1",
			message{cmd: "init", args: []arg{{"pmi_version", "1"}, {"pmi_subversion", "1"}}}},
		{"rc last, as old servers put it", "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0",
			message{cmd: "response_to_init", args: []arg{{"pmi_version", "1"}, {"pmi_subversion", "1"}, {"rc", "0"}}}},
		{"value with = # $ and backslash kept verbatim", `cmd=put kvsname=kvs_1 key=P0-businesscard value=description#h$port#1=2\x`,
			message{cmd: "put", args: []arg{{"kvsname", "kvs_1"}, {"key", "P0-businesscard"}, {"value", `description#h$port#1=2\x`}}}},
		{"process mapping", "cmd=get_result rc=0 value=(vector,(0,2,2))",
			message{cmd: "get_result", args: []arg{{"rc", "0"}, {"value", "(vector,(0,2,2))"}}}},
		{"extra and trailing spaces", "cmd=get_maxes   a=b  ", message{cmd: "get_maxes", args: []arg{{"a", "b"}}}},
		{"bare key and empty value", "cmd=x endcmd k=", message{cmd: "x", args: []arg{{"endcmd", ""}, {"k", ""}}}},
		{"key with / and -", "cmd=x a/b-c=1", message{cmd: "x", args: []arg{{"a/b-c", "1"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLine([]byte(tt.line))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseLineRejects(t *testing.T) {
	for name, line := range map[string]string{
		"empty":               "",
		"no cmd":              "pmi_version=1",
		"cmd not first":       "pmi_version=1 cmd=init",
		"leading space":       " cmd=init",
		"empty command":       "cmd= a=b",
		"multi-line mcmd":     "mcmd=spawn",
		"tab":                 "cmd=init\tpmi_version=1",
		"carriage return":     "cmd=init\r",
		"NUL":                 "cmd=init\x00",
		"high byte":           "cmd=init a=\xff",
		"empty key":           "cmd=init =1",
		"bad key character":   "cmd=init a.b=1",
		"bad command name":    "cmd=in.it",
		"command with equals": "cmd=a=b",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseLine([]byte(line))
			require.ErrorIs(t, err, ErrProtocol)
		})
	}
}

func TestEncodeLine(t *testing.T) {
	line, err := encodeLine("put", "kvsname", "k", "key", "a", "value", "x=y")
	require.NoError(t, err)
	assert.Equal(t, "cmd=put kvsname=k key=a value=x=y\n", string(line))

	for name, kv := range map[string][]string{
		"space in value": {"value", "a b"},
		"newline":        {"value", "a\n"},
		"bad key":        {"k y", "v"},
		"odd":            {"k"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := encodeLine("put", kv...)
			require.Error(t, err)
		})
	}
	_, err = encodeLine("bad cmd")
	require.Error(t, err)
}

func TestEncodeParseRoundTrip(t *testing.T) {
	m := message{cmd: "get_result", args: []arg{{"rc", "0"}, {"value", "!~=#\\"}, {"empty", ""}}}
	line, err := appendMessage(nil, m)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(line), "\n"))
	got, err := parseLine(line[:len(line)-1])
	require.NoError(t, err)
	assert.Equal(t, m, got)
}

func TestReadLine(t *testing.T) {
	t.Run("lines split across reads", func(t *testing.T) {
		br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader("cmd=a\ncmd=b\n")), 16)
		l, err := readLine(br)
		require.NoError(t, err)
		assert.Equal(t, "cmd=a", string(l))
		l, err = readLine(br)
		require.NoError(t, err)
		assert.Equal(t, "cmd=b", string(l))
		_, err = readLine(br)
		assert.ErrorIs(t, err, io.EOF)
	})
	t.Run("exactly the buffer size fits", func(t *testing.T) {
		line := "cmd=x v=" + strings.Repeat("a", MaxLineLen-9) + "\n"
		require.Len(t, line, MaxLineLen)
		l, err := readLine(newServerReader(strings.NewReader(line)))
		require.NoError(t, err)
		assert.Len(t, l, MaxLineLen-1)
	})
	t.Run("too long", func(t *testing.T) {
		line := "cmd=x v=" + strings.Repeat("a", MaxLineLen) + "\n"
		_, err := readLine(newServerReader(strings.NewReader(line)))
		require.ErrorIs(t, err, errLineTooLong)
		require.ErrorIs(t, err, ErrProtocol)
	})
	t.Run("ends mid-line", func(t *testing.T) {
		_, err := readLine(newServerReader(strings.NewReader("cmd=x")))
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	})
	t.Run("read error passes through", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := readLine(newServerReader(iotest.ErrReader(boom)))
		require.ErrorIs(t, err, boom)
	})
}
