package rule

import "fmt"

// ErrorClass says how an invocation ended, which decides its exit status
// and what a restore (-R) does next (reference section 4.2).
type ErrorClass int

const (
	// TryHelp: the first option is missing, unknown, malformed or not a
	// command. The text is the "Try `prog -h' ..." line. Exit status 255;
	// a restore stops at once with 255.
	TryHelp ErrorClass = iota + 1
	// OptionError: a popt-level error after the command (unknown option,
	// missing argument, option does not take an argument). Exit status
	// 255; a restore prints it and goes on with the next line (whose
	// status then counts as 255 if it is the last).
	OptionError
	// Fail: a validation failure (ipvsadm's fail()). Exit status 2; a
	// restore stops at once with 2.
	Fail
)

// Error is a parse failure with the original's exact message.
//
// Contract: Text is what the original writes to stderr minus the final
// newline; print Stderr() (Text followed by one "\n"). For the one message
// that itself ends in a newline, "-6 used before -f", Text is
// "-6 used before -f\n" so that Stderr() ends with an empty line as the
// original's output does.
type Error struct {
	Class ErrorClass
	Text  string
}

func (e *Error) Error() string { return e.Text }

// Stderr returns the exact bytes the original writes to stderr.
func (e *Error) Stderr() string { return e.Text + "\n" }

// ExitStatus returns the original's exit status: 2 for Fail, 255 for
// TryHelp and OptionError.
func (e *Error) ExitStatus() int {
	if e.Class == Fail {
		return 2
	}
	return 255
}

// StopsRestore reports whether a restore ends at this line (TryHelp and
// Fail) rather than continuing with the next one (OptionError).
func (e *Error) StopsRestore() bool { return e.Class != OptionError }

func failf(format string, args ...any) *Error {
	return &Error{Class: Fail, Text: fmt.Sprintf(format, args...)}
}

// TryHelpError is the error of an invocation whose first option is not a
// command (also of -R inside restore input): the "Try `prog -h' ..." line,
// status 255.
func TryHelpError(prog string) *Error {
	return &Error{Class: TryHelp, Text: fmt.Sprintf("Try `%s -h' or '%s --help' for more information.", prog, prog)}
}
