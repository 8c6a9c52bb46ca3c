package pmi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// Seeds shared by the PMI-2 fuzz targets, besides the files in
// testdata/fuzz: replies as Slurm and Hydra write them, and broken ones.
var fuzz2Seeds = []string{
	"114   cmd=fullinit-response;rc=0;pmi-version=2;pmi-subversion=0;rank=0;size=4;appnum=-1;debugged=FALSE;pmiverbose=FALSE;",
	"    81cmd=fullinit-response;pmi-version=2;pmi-subversion=0;rank=0;size=1;appnum=0;rc=0;",
	"41    cmd=job-getid-response;rc=0;jobid=1234.0;",
	"50    cmd=kvs-get-response;rc=0;found=TRUE;value=a;;b c;",
	"60    cmd=kvs-fence-response;rc=-1;errmsg=failed to send temp kvs;",
	"12",
	"abcdefcmd=x;",
	"999999",
	"000000",
	"     9cmd=x;rc;",
}

// FuzzParseFrame checks the PMI-2 reply parser: reading a frame from any
// bytes never panics, never returns more than the limit, and fails only
// with a protocol error or an end of stream; and whatever payload
// parseFrame accepts re-encodes and parses back to the same message.
func FuzzParseFrame(f *testing.F) {
	for _, s := range fuzz2Seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 256
		p, err := readFrame(bufio.NewReader(bytes.NewReader(data)), limit)
		if err != nil {
			require.True(t, errors.Is(err, ErrProtocol) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF), "%v", err)
		} else {
			require.LessOrEqual(t, len(p), limit)
			require.Equal(t, data[lenFieldWidth:lenFieldWidth+len(p)], p)
		}

		m, err := parseFrame(data)
		if err != nil {
			require.ErrorIs(t, err, ErrProtocol)
			return
		}
		require.True(t, validName(m.cmd))
		enc, err := appendFrame(nil, m)
		require.NoError(t, err)
		p, err = readFrame(bufio.NewReader(bytes.NewReader(enc)), MaxFrameLen)
		require.NoError(t, err)
		back, err := parseFrame(p)
		require.NoError(t, err)
		require.Equal(t, m, back)
	})
}

// FuzzPMI2Replies runs a pmi2Client against a server that answers the
// init line properly and then sends arbitrary bytes: start-up and a few
// requests must end in a result or an error, never a panic or a hang.
func FuzzPMI2Replies(f *testing.F) {
	f.Add([]byte("55    cmd=fullinit-response;rc=0;rank=0;size=1;appnum=-1;x=y;" +
		"41    cmd=job-getid-response;rc=0;jobid=1234.0;" +
		"26    cmd=kvs-put-response;rc=0;" +
		"45    cmd=kvs-get-response;rc=0;found=TRUE;value=v;"))
	for _, s := range fuzz2Seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := io.MultiReader(bytes.NewReader([]byte("cmd=response_to_init rc=0 pmi_version=2 pmi_subversion=0\n")), bytes.NewReader(data))
		conn := &scriptConn{r: in, w: io.Discard}
		c, err := newPMI2Client(conn, "1234.0", 0)
		if err != nil {
			require.True(t, conn.closed, "a failed start-up closes the connection")
			return
		}
		_ = c.Put("k", "v")
		_, _ = c.Get("k")
		_ = c.Fence()
		_ = c.Finalize()
		require.True(t, conn.closed)
	})
}
