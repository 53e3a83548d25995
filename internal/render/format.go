package render

import "strconv"

// blanks is what Pad and appendRightUint append padding from, in slices.
const blanks = "                                "

// appendBlanks appends n blanks (none if n <= 0).
func appendBlanks(b []byte, n int) []byte {
	for ; n > 0; n -= len(blanks) {
		b = append(b, blanks[:min(n, len(blanks))]...)
	}
	return b
}

// Pad appends blanks until b[start:] is width bytes long (printf "%-Ns"):
// the columns of every listing, the connection table's included.
func Pad(b []byte, start, width int) []byte {
	return appendBlanks(b, width-(len(b)-start))
}

// AppendLeft is printf("%-*s", width, s), for s a string or bytes.
func AppendLeft[S ~string | ~[]byte](b []byte, s S, width int) []byte {
	start := len(b)
	return Pad(append(b, s...), start, width)
}

// appendLeftUint is printf("%-*u", width, v).
func appendLeftUint(b []byte, v uint64, width int) []byte {
	start := len(b)
	return Pad(strconv.AppendUint(b, v, 10), start, width)
}

// appendLeftInt is printf("%-*d", width, v).
func appendLeftInt(b []byte, v int64, width int) []byte {
	start := len(b)
	return Pad(strconv.AppendInt(b, v, 10), start, width)
}

// appendRightUint is printf("%*llu", width, v).
func appendRightUint(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	digits := strconv.AppendUint(tmp[:0], v, 10)
	return append(appendBlanks(b, width-len(digits)), digits...)
}

// appendLargeNum appends the text of the original's print_largenum, used for
// the stats and rate columns: with exact, the decimal value right-justified
// in 9 columns, or in digits+1 when it has more than 8 digits (so there is
// always a leading blank); without, values below 10^8 right-justified in 9,
// else the value divided (truncating) by 10^3, 10^6, 10^9 or 10^12 —
// for values below 10^9, 10^11, 10^14 and above — right-justified in 8 and
// followed by K, M, G or T (an 8-digit quotient leaves no leading blank).
func appendLargeNum(b []byte, v uint64, exact bool) []byte {
	if exact {
		var tmp [20]byte
		n := len(strconv.AppendUint(tmp[:0], v, 10))
		width := 9
		if n > 8 {
			width = n + 1
		}
		return appendRightUint(b, v, width)
	}
	switch {
	case v < 100_000_000:
		return appendRightUint(b, v, 9)
	case v < 1_000_000_000:
		return append(appendRightUint(b, v/1_000, 8), 'K')
	case v < 100_000_000_000:
		return append(appendRightUint(b, v/1_000_000, 8), 'M')
	case v < 100_000_000_000_000:
		return append(appendRightUint(b, v/1_000_000_000, 8), 'G')
	}
	return append(appendRightUint(b, v/1_000_000_000_000, 8), 'T')
}
