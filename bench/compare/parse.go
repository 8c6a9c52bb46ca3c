package compare

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrFormat is wrapped by the errors of malformed tables.
var ErrFormat = errors.New("malformed benchmark table")

// Point is one row of a table: a message size and its value.
type Point struct {
	Size  int
	Value float64
}

// ParseTable reads an OSU-like table: lines starting with '#' and blank
// lines are skipped; every other line is "SIZE VALUE [more fields]".
// Lines that are not such rows (for example a launcher's warnings mixed
// into the output) are an error naming the line.
func ParseTable(r io.Reader) ([]Point, error) {
	var pts []Point
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d %q: %w", n, line, ErrFormat)
		}
		size, err1 := strconv.Atoi(f[0])
		val, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil || size < 0 {
			return nil, fmt.Errorf("line %d %q: %w", n, line, ErrFormat)
		}
		pts = append(pts, Point{Size: size, Value: val})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read table: %w", err)
	}
	return pts, nil
}
