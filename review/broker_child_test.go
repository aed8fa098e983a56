package review_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/wardenhq/warden/review/internal/testkit"
)

// brokerChild runs a kfake broker in its own process, advertising
// WARDEN_TEST_ADVERTISE, prints its real address and serves until stdin
// closes.
func brokerChild() int {
	adv, err := net.ResolveTCPAddr("tcp", os.Getenv("WARDEN_TEST_ADVERTISE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	real := ln.Addr().String()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.ListenFn(func(string, string) (net.Listener, error) {
		return testkit.AdvertiseListener(ln, adv), nil
	}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer c.Close()
	fmt.Println(real)
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent goes
	return 0
}

// externalBroker starts a kfake broker in a child process behind a proxy in
// this one: the guard's process then does only what a guard does.
func externalBroker(t testing.TB) *testkit.Proxy {
	t.Helper()
	proxy, err := testkit.NewProxy("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WARDEN_TEST_CHILD=broker", "WARDEN_TEST_ADVERTISE="+proxy.Addr())
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("broker child: %v", err)
	}
	proxy.SetTarget(strings.TrimSpace(line))
	return proxy
}
