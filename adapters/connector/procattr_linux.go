package connector

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// dieWithHost asks the kernel to kill the connector when the host dies, so
// that even a SIGKILL of the host leaves no connector behind.
func dieWithHost(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// startOnOwnThread runs start, which forks the connector, on an OS thread
// kept until release is called. The parent-death signal fires when the
// thread that forked the child ends, not the process, and Go ends a thread
// whose goroutine exits locked to it: so the thread is locked, and kept, for
// as long as the connector may run.
func startOnOwnThread(start func()) (release func()) {
	started, done := make(chan struct{}), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		start()
		close(started)
		<-done
		runtime.UnlockOSThread()
	}()
	<-started
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}

// runAs makes the process run as uid and gid, without the host's
// supplementary groups.
func runAs(cmd *exec.Cmd, uid, gid int) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
}
