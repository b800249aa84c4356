package sipp

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// Ports are drawn below Linux's ephemeral range (32768+) so the kernel
// does not hand the same port to someone's connect() between the check
// and SIPp's bind.
const (
	portLow  = 20000
	portHigh = 32760
)

// pickPort returns a port free for UDP (and TCP when tcp is set) on ip.
func pickPort(ip string, tcp bool) (int, error) {
	for range 200 {
		p := portLow + rand.IntN(portHigh-portLow)
		if udpFree(ip, p) && (!tcp || tcpFree(ip, p)) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("sipp: no free port on %s: %w", ip, errs.ErrUnavailable)
}

// pickMediaPort returns an even port p with p..p+3 free for UDP: SIPp
// binds p (audio) and p+2 (video), and RTCP conventionally takes p+1, p+3.
func pickMediaPort(ip string) (int, error) {
	for range 200 {
		p := (portLow + rand.IntN(portHigh-portLow-4)) &^ 1
		if udpFree(ip, p) && udpFree(ip, p+1) && udpFree(ip, p+2) && udpFree(ip, p+3) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("sipp: no free media ports on %s: %w", ip, errs.ErrUnavailable)
}

func udpFree(ip string, port int) bool {
	c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func tcpFree(ip string, port int) bool {
	l, err := net.Listen("tcp4", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// socketBound reports whether a socket is bound to ip:port (or to the
// wildcard address on port), reading /proc instead of binding, because a
// test bind could steal the port from the SIPp that is starting.
func socketBound(ip string, port int, tcp bool) (bool, error) {
	name := "/proc/net/udp"
	if tcp {
		name = "/proc/net/tcp"
	}
	table, err := os.ReadFile(name)
	if err != nil {
		return false, fmt.Errorf("sipp: read %s: %w", name, errs.ErrUnavailable)
	}
	want := net.ParseIP(ip).To4()
	for _, s := range parseProcNet(table) {
		if s.port != port || (tcp && s.state != tcpListen) {
			continue
		}
		if s.ip.Equal(want) || s.ip.Equal(net.IPv4zero) {
			return true, nil
		}
	}
	return false, nil
}

const tcpListen = 0x0A

// procSocket is one row of /proc/net/{udp,tcp}.
type procSocket struct {
	ip    net.IP
	port  int
	state int
}

// parseProcNet reads the local address and state of each IPv4 row of a
// /proc/net/{udp,tcp} table, skipping rows it cannot read. The kernel
// prints the address as a host-order 32-bit word in hex.
func parseProcNet(table []byte) []procSocket {
	var out []procSocket
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	first := true
	for sc.Scan() {
		if first { // header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		addr, portHex, ok := strings.Cut(f[1], ":")
		if !ok || len(addr) != 8 {
			continue
		}
		raw, err := hex.DecodeString(addr)
		if err != nil {
			continue
		}
		port, err := strconv.ParseUint(portHex, 16, 16)
		if err != nil {
			continue
		}
		state, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			continue
		}
		ip := make(net.IP, 4)
		binary.NativeEndian.PutUint32(ip, binary.BigEndian.Uint32(raw))
		out = append(out, procSocket{ip: ip, port: int(port), state: int(state)})
	}
	return out
}
