package command

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// The texts are ipvsadm 1.31's (reference section 5.3); the differential
// corpus checks them against the real binary on the real kernel.
func TestKernelMessage(t *testing.T) {
	for _, tc := range []struct {
		op   operation
		err  error
		want string
	}{
		{opAddService, unix.EEXIST, "Service already exists"},
		{opAddService, unix.ENOENT, "Scheduler or persistence engine not found"},
		{opEditService, unix.ESRCH, "No such service"},
		{opAddServer, unix.ESRCH, "Service not defined"},
		{opEditServer, unix.ENOENT, "No such destination"},
		{opStartDaemon, unix.EEXIST, "Daemon has already run"},
		{opStopDaemon, unix.ESRCH, "No daemon is running"},
		{opOther, unix.EPERM, "Permission denied (you must be root)"},
		{opAddServer, unix.EINVAL, "Invalid operation.  Possibly wrong module version, address not unicast, ..."},
		{opAddServer, unix.ERANGE, "Numerical result out of range"},
		{opStartDaemon, unix.ENODEV, "No such device"},
		{opOther, unix.ESRCH, "No such process"},
		{opOther, &ipvs.Error{Op: "new service", Err: unix.EEXIST}, "File exists"},
		{opAddService, &ipvs.Error{Op: "new service", Err: unix.EEXIST}, "Service already exists"},
		// A reply that cannot be decoded is reported as EINVAL.
		{opOther, &ipvs.Error{Op: "get services", Err: errors.New("invalid IPVS reply")}, "Invalid operation.  Possibly wrong module version, address not unicast, ..."},
		{opOther, errors.New("no errno"), "Invalid operation.  Possibly wrong module version, address not unicast, ..."},
	} {
		if got := kernelMessage(tc.op, tc.err); got != tc.want {
			t.Errorf("kernelMessage(%d, %v) = %q, want %q", tc.op, tc.err, got, tc.want)
		}
	}
}
