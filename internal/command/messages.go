package command

import (
	"errors"

	"golang.org/x/sys/unix"
)

// operation names what a kernel request was for, to choose the message
// ipvsadm prints for its error.
type operation int

const (
	opOther operation = iota // flush, listings, timeouts: generic texts only
	opAddService
	opEditService
	opDeleteService
	opZero
	opAddServer
	opEditServer
	opDeleteServer
	opStartDaemon
	opStopDaemon
	opGetServers
	opGetService
)

// specificMessages are the texts ipvsadm 1.31 prints for an errno from one
// operation; they win over genericMessages.
var specificMessages = map[operation]map[unix.Errno]string{
	opAddService:    {unix.EEXIST: "Service already exists", unix.ENOENT: "Scheduler or persistence engine not found"},
	opEditService:   {unix.ESRCH: "No such service", unix.ENOENT: "Scheduler or persistence engine not found"},
	opDeleteService: {unix.ESRCH: "No such service"},
	opZero:          {unix.ESRCH: "No such service"},
	opAddServer:     {unix.ESRCH: "Service not defined", unix.EEXIST: "Destination already exists"},
	opEditServer:    {unix.ESRCH: "Service not defined", unix.ENOENT: "No such destination"},
	opDeleteServer:  {unix.ESRCH: "Service not defined", unix.ENOENT: "No such destination"},
	opStartDaemon:   {unix.EEXIST: "Daemon has already run"},
	opStopDaemon:    {unix.ESRCH: "No daemon is running"},
	opGetServers:    {unix.ESRCH: "No such service"},
	opGetService:    {unix.ESRCH: "No such service"},
}

// genericMessages are ipvsadm's texts for an errno from any operation.
var genericMessages = map[unix.Errno]string{
	unix.EPERM:        "Permission denied (you must be root)",
	unix.EINVAL:       "Invalid operation.  Possibly wrong module version, address not unicast, ...",
	unix.ENOPROTOOPT:  "Protocol not available",
	unix.ENOMEM:       "Memory allocation problem",
	unix.EOPNOTSUPP:   "Operation not supported with IPv6",
	unix.EAFNOSUPPORT: "Operation not supported with specified address family",
	unix.EMSGSIZE:     "Module is wrong version",
}

// kernelMessage returns the line ipvsadm prints when op failed with err.
// An error that carries no errno (a reply that cannot be decoded) is
// reported as EINVAL, as ipvsadm does.
func kernelMessage(op operation, err error) string {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		errno = unix.EINVAL
	}
	if m, ok := specificMessages[op][errno]; ok {
		return m
	}
	if m, ok := genericMessages[errno]; ok {
		return m
	}
	return strerror(errno)
}

// KernelMessage returns the line ipvsadm prints for a kernel error outside
// any particular operation (for instance at start-up).
func KernelMessage(err error) string { return kernelMessage(opOther, err) }

// strerror returns glibc's text for errno. Go's texts are glibc's with a
// lower-case first letter.
func strerror(errno unix.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
