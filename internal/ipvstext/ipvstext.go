// Package ipvstext holds the text forms ipvsadm 1.31 uses for IPVS values,
// with the C library's semantics rather than Go's: glibc's inet_ntop,
// inet_pton and inet_aton (glibc 2.36 behaviour; Go's own parsers accept
// and reject different texts), the C locale's character classes they rest
// on, and the scheduler-flag text of listings and save lines.
package ipvstext

// IsSpace reports whether c is white space for isspace(3) in the C locale.
func IsSpace(c byte) bool {
	return c == ' ' || c-'\t' <= '\r'-'\t' // \t \n \v \f \r are 9 to 13
}

// NextField returns where the first run of bytes that are not IsSpace
// starts and ends in s at or after i: s[start:end]. With no such run, both
// are len(s).
func NextField[T ~string | ~[]byte](s T, i int) (start, end int) {
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	end = i
	for end < len(s) && !IsSpace(s[end]) {
		end++
	}
	return i, end
}

// HexDigit returns the value of the hex digit c (either case), or -1 if c
// is not one.
func HexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
