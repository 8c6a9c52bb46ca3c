package hostlist

import (
	"fmt"
	"strings"
)

// CheckName reports why name cannot be a host name or address, or "" if it
// can.
// It accepts DNS names, IPv4 addresses and bracketed IPv6 addresses; it
// refuses what would be taken for syntax (':', '=', '#', ',', brackets,
// spaces) so that a typo is an error rather than a host.
func CheckName(name string) string {
	if name == "" {
		return "empty host name"
	}
	if len(name) > 255 {
		return "host name longer than 255 bytes"
	}
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") && len(name) > 2 {
		for _, c := range name[1 : len(name)-1] {
			if !(c == ':' || c == '.' || c == '%' || isAlnum(c)) {
				return fmt.Sprintf("invalid character %q in IPv6 address %q", c, name)
			}
		}
		return ""
	}
	for _, c := range name {
		if !(isAlnum(c) || c == '-' || c == '.' || c == '_') {
			return fmt.Sprintf("invalid character %q in host name %q", c, name)
		}
	}
	return ""
}

func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
