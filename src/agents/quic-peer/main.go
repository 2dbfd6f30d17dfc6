// quic-peer: the QUIC and HTTP/3 peer of the labs, built on quic-go. One binary, several roles:
//
//	quic-peer serve   -listen ADDR:PORT                     HTTP/3 on UDP and HTTP/2 over TLS on TCP, same port
//	quic-peer get     -url URL [-keylog F]                  one HTTP/3 request on a new connection
//	quic-peer resume  -url URL [-replay-to ADDR:PORT]       a full handshake, then a resumed one sending its request in 0-RTT,
//	                  [-replay-after DURATION]              and that first flight sent again, as an attacker could
//	quic-peer streams -url URL -proto h2|h3 -paths P,Q,R    several requests at once on one connection, every read timed,
//	                                                        and the process's CPU time
//	quic-peer migrate -url URL                              a request, a move to a new local port (PATH_CHALLENGE), another request
//	quic-peer migrate -url URL -bulk PATH                   a long download during which the connection moves to a new local port
//	                  [-switch-after D] [-read-for D]       (probed, then switched) D into it; every read timed
//	quic-peer echo    -proto udp|tcp -to ADDR:PORT          numbered messages at a steady pace to the server's echo port, each one's round trip timed
//
// Servers print one JSON line per request on stdout and "ready" once listening, and echo UDP and TCP on
// port 7; clients print one JSON document.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: quic-peer serve|get|resume|streams|migrate|echo [flags]"))
	}
	flags := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	listen := flags.String("listen", "", "address to serve on (serve)")
	target := flags.String("url", "", "https URL to request")
	keylog := flags.String("keylog", "", "file the client appends its TLS secrets to (NSS key log format)")
	replayTo := flags.String("replay-to", "", "after the resumed connection, send its first flight again, to this address (resume)")
	replayAfter := flags.Duration("replay-after", 0, "how long after the resumed connection closed to replay its first flight (resume)")
	proto := flags.String("proto", "h3", "h2 or h3 (streams); udp or tcp (echo)")
	paths := flags.String("paths", "", "comma-separated paths requested at once (streams)")
	to := flags.String("to", "", "the server's echo address (echo)")
	count := flags.Int("count", 100, "messages to send (echo)")
	interval := flags.Duration("interval", 10*time.Millisecond, "time between messages (echo)")
	bulk := flags.String("bulk", "", "path downloaded while the connection moves (migrate)")
	switchAfter := flags.Duration("switch-after", 800*time.Millisecond, "how long into the download the move starts (migrate -bulk)")
	readFor := flags.Duration("read-for", 2*time.Second, "how long the download is read before the client stops (migrate -bulk)")
	flags.Parse(os.Args[2:])

	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(*listen)
	case "get":
		err = emit(get(*target, *keylog))
	case "resume":
		err = emit(resume(*target, *keylog, *replayTo, *replayAfter))
	case "streams":
		err = emit(streams(*target, *keylog, *proto, strings.Split(*paths, ",")))
	case "migrate":
		if *bulk != "" {
			err = emit(migrateDuringDownload(*target, *keylog, *bulk, *switchAfter, *readFor))
		} else {
			err = emit(migrate(*target, *keylog))
		}
	case "echo":
		err = emit(echo(*proto, *to, *count, *interval))
	default:
		err = fmt.Errorf("unknown role %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "quic-peer:", err)
	os.Exit(1)
}

func emit(result any, err error) error {
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(result)
}

// ---- server ---------------------------------------------------------------------------------------

var logMutex sync.Mutex

func logRequest(r *http.Request) {
	logMutex.Lock()
	defer logMutex.Unlock()
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"proto": r.Proto, "path": r.URL.Path, "remote": r.RemoteAddr,
		"handshakeComplete": r.TLS != nil && r.TLS.HandshakeComplete,
		"atUnixMs":          time.Now().UnixMilli(),
	})
}

// /bytes/N answers N bytes, written 4 KiB at a time; anything else answers "hello".
func handler(w http.ResponseWriter, r *http.Request) {
	logRequest(r)
	if size, ok := strings.CutPrefix(r.URL.Path, "/bytes/"); ok {
		n, err := strconv.Atoi(size)
		if err != nil || n < 0 {
			http.Error(w, "bad size", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		chunk := []byte(strings.Repeat("q", 4096))
		for n > 0 {
			part := min(n, len(chunk))
			if _, err := w.Write(chunk[:part]); err != nil {
				return
			}
			n -= part
		}
		return
	}
	io.WriteString(w, "hello\n")
}

func serve(listen string) error {
	cert, err := selfSigned()
	if err != nil {
		return err
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
	udpAddr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return err
	}
	udp, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		return err
	}
	transport := &quic.Transport{Conn: udp}
	early, err := transport.ListenEarly(http3.ConfigureTLSConfig(tlsConf.Clone()), &quic.Config{Allow0RTT: true})
	if err != nil {
		return err
	}
	tcp, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	h2Conf := tlsConf.Clone()
	h2Conf.NextProtos = []string{"h2"}
	h2 := &http.Server{Handler: http.HandlerFunc(handler), TLSConfig: h2Conf}
	h3 := &http3.Server{Handler: http.HandlerFunc(handler)}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return err
	}
	echoAddr := net.JoinHostPort(host, "7")
	udpEcho, err := net.ListenPacket("udp", echoAddr)
	if err != nil {
		return err
	}
	tcpEcho, err := net.Listen("tcp", echoAddr)
	if err != nil {
		return err
	}
	errs := make(chan error, 4)
	go func() { errs <- h3.ServeListener(early) }()
	go func() { errs <- h2.ServeTLS(tcp, "", "") }()
	go func() { errs <- echoUDP(udpEcho) }()
	go func() { errs <- echoTCP(tcpEcho) }()
	fmt.Println("ready")
	return <-errs
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "labs quic-peer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// ---- client ---------------------------------------------------------------------------------------

type client struct {
	tls       *tls.Config
	transport *quic.Transport
	udp       *recordingConn
	server    *net.UDPAddr
	path      string
	start     time.Time
	tokens    quic.TokenStore
}

func since(start time.Time) float64 { return float64(time.Since(start).Microseconds()) / 1000 }

// newClient resolves the URL (a URL without a port means 443, as for any https URL) and opens a UDP socket;
// with recording, the socket keeps copies of what it sends (for a replay).
func newClient(target, keylog string, recording bool) (*client, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	server, err := net.ResolveUDPAddr("udp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, err
	}
	keys, err := keyLogWriter(keylog)
	if err != nil {
		return nil, err
	}
	tlsConf := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{http3.NextProtoH3}, ClientSessionCache: tls.NewLRUClientSessionCache(4), KeyLogWriter: keys}
	udp, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, err
	}
	c := &client{tls: tlsConf, transport: &quic.Transport{Conn: udp}, server: server, path: u.RequestURI(), start: time.Now(), tokens: quic.NewLRUTokenStore(4, 4)}
	if recording {
		// quic-go reads and writes a plain *net.UDPConn in batches (GSO, recvmmsg); a wrapper costs it that.
		c.udp = &recordingConn{PacketConn: udp}
		c.transport.Conn = c.udp
	}
	return c, nil
}

// keyLogWriter opens the file a client appends its TLS secrets to (nil, and no logging, for no path).
func keyLogWriter(path string) (io.Writer, error) {
	if path == "" {
		return nil, nil
	}
	return os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
}

type exchange struct {
	LocalAddr         string  `json:"localAddr"`
	DialedAtMs        float64 `json:"dialedAtMs"`
	HandshakeDoneAtMs float64 `json:"handshakeDoneAtMs"`
	FirstByteAtMs     float64 `json:"firstByteAtMs"`
	Status            int     `json:"status"`
	Bytes             int     `json:"bytes"`
	Used0RTT          bool    `json:"used0RTT"`
	Version           string  `json:"version"`
}

// request opens a connection (0-RTT when early and a ticket is cached) and sends one GET at once.
func (c *client) request(ctx context.Context, early bool) (exchange, *quic.Conn, *http3.ClientConn, error) {
	ex := exchange{DialedAtMs: since(c.start)}
	conn, err := c.transport.DialEarly(ctx, c.server, c.tls, &quic.Config{TokenStore: c.tokens})
	if err != nil {
		return ex, nil, nil, err
	}
	ex.LocalAddr = c.transport.Conn.LocalAddr().String()
	handshakeDone := make(chan float64, 1)
	go func() {
		<-conn.HandshakeComplete()
		handshakeDone <- since(c.start)
	}()
	h3 := (&http3.Transport{}).NewClientConn(conn)
	method := http.MethodGet
	if early {
		method = http3.MethodGet0RTT
	}
	resp, ex2, err := roundTrip(ctx, h3, method, c.server, c.path, c.start)
	if err != nil {
		return ex, conn, h3, err
	}
	ex.FirstByteAtMs, ex.Status, ex.Bytes = ex2.FirstByteAtMs, resp.StatusCode, ex2.Bytes
	ex.HandshakeDoneAtMs = <-handshakeDone
	state := conn.ConnectionState()
	ex.Used0RTT, ex.Version = state.Used0RTT, state.Version.String()
	return ex, conn, h3, nil
}

func roundTrip(ctx context.Context, h3 *http3.ClientConn, method string, server *net.UDPAddr, path string, start time.Time) (*http.Response, exchange, error) {
	var ex exchange
	req, err := http.NewRequestWithContext(ctx, method, "https://"+server.String()+path, nil)
	if err != nil {
		return nil, ex, err
	}
	resp, err := h3.RoundTrip(req)
	if err != nil {
		return nil, ex, err
	}
	defer resp.Body.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 && ex.Bytes == 0 {
			ex.FirstByteAtMs = since(start)
		}
		ex.Bytes += n
		if err != nil {
			break
		}
	}
	return resp, ex, nil
}

func get(target, keylog string) (any, error) {
	c, err := newClient(target, keylog, false)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ex, conn, _, err := c.request(ctx, false)
	if conn != nil {
		conn.CloseWithError(0, "done")
	}
	return ex, err
}

// resume: a full handshake that caches a session ticket, then a resumed connection whose GET goes in
// 0-RTT. With replayTo, the datagrams of the resumed connection's first flight are sent again afterwards,
// from a new socket, to replayTo: what an on-path attacker who copied them could do.
func resume(target, keylog, replayTo string, replayAfter time.Duration) (any, error) {
	c, err := newClient(target, keylog, true)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first, conn, _, err := c.request(ctx, false)
	if err != nil {
		return nil, err
	}
	time.Sleep(100 * time.Millisecond) // the NewSessionTicket follows the handshake
	conn.CloseWithError(0, "done")
	c.udp.record(true)
	second, conn, _, err := c.request(ctx, true)
	if err != nil {
		return nil, err
	}
	firstFlight := c.udp.record(false)
	conn.CloseWithError(0, "done")
	result := map[string]any{"full": first, "resumed": second, "firstFlightDatagrams": len(firstFlight)}
	if replayTo != "" {
		to, err := net.ResolveUDPAddr("udp", replayTo)
		if err != nil {
			return nil, err
		}
		attacker, err := net.ListenUDP("udp", nil)
		if err != nil {
			return nil, err
		}
		defer attacker.Close()
		time.Sleep(replayAfter)
		for _, d := range firstFlight {
			if _, err := attacker.WriteTo(d, to); err != nil {
				return nil, err
			}
		}
		time.Sleep(300 * time.Millisecond)
		result["replayedDatagrams"] = len(firstFlight)
		result["replayedFrom"] = attacker.LocalAddr().String()
	}
	return result, nil
}

// recordingConn keeps a copy of every datagram written while recording: the client's first flight.
type recordingConn struct {
	net.PacketConn
	mutex     sync.Mutex
	recording bool
	sent      [][]byte
	firstAt   time.Time
}

// record starts (true) or stops (false) recording; stopping returns the datagrams written in the
// first 5 ms of the recording, which is the first flight (the next flight waits a round trip).
func (r *recordingConn) record(on bool) [][]byte {
	r.mutex.Lock()
	defer r.mutex.Unlock()
	r.recording = on
	sent := r.sent
	if on {
		r.sent, r.firstAt = nil, time.Time{}
	}
	return sent
}

func (r *recordingConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	r.mutex.Lock()
	if r.recording {
		if r.firstAt.IsZero() {
			r.firstAt = time.Now()
		}
		if time.Since(r.firstAt) < 5*time.Millisecond {
			r.sent = append(r.sent, append([]byte(nil), b...))
		}
	}
	r.mutex.Unlock()
	return r.PacketConn.WriteTo(b, addr)
}

// ---- several requests at once, every read timed ---------------------------------------------------

type streamTimeline struct {
	Path  string       `json:"path"`
	Reads [][2]float64 `json:"reads"` // [ms since the requests went out, bytes received so far]
	Bytes int          `json:"bytes"`
	Error string       `json:"error,omitempty"`
}

func streams(target, keylog, proto string, paths []string) (any, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper
	switch proto {
	case "h3":
		c, err := newClient(target, keylog, false)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := c.transport.Dial(ctx, c.server, c.tls, &quic.Config{})
		if err != nil {
			return nil, err
		}
		defer conn.CloseWithError(0, "done")
		rt = (&http3.Transport{}).NewClientConn(conn)
	case "h2":
		keys, err := keyLogWriter(keylog)
		if err != nil {
			return nil, err
		}
		tlsConf := &tls.Config{InsecureSkipVerify: true, KeyLogWriter: keys}
		t := &http.Transport{TLSClientConfig: tlsConf, ForceAttemptHTTP2: true, MaxConnsPerHost: 1}
		defer t.CloseIdleConnections()
		rt = t
	default:
		return nil, fmt.Errorf("-proto wants h2 or h3")
	}
	httpClient := &http.Client{Transport: rt, Timeout: 20 * time.Second}
	// One request first, so that the connection is up and the others share it.
	warm, err := httpClient.Get(u.Scheme + "://" + u.Host + "/hello")
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, warm.Body)
	warm.Body.Close()
	start := time.Now()
	timelines := make([]streamTimeline, len(paths))
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &timelines[i]
			t.Path = path
			resp, err := httpClient.Get(u.Scheme + "://" + u.Host + path)
			if err != nil {
				t.Error = err.Error()
				return
			}
			defer resp.Body.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := resp.Body.Read(buf)
				if n > 0 {
					t.Bytes += n
					t.Reads = append(t.Reads, [2]float64{since(start), float64(t.Bytes)})
				}
				if err != nil {
					if err != io.EOF {
						t.Error = err.Error()
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return nil, err
	}
	cpu := map[string]float64{"userMs": float64(usage.Utime.Nano()) / 1e6, "systemMs": float64(usage.Stime.Nano()) / 1e6}
	return map[string]any{"proto": proto, "startUnixMs": float64(start.UnixMicro()) / 1000, "streams": timelines, "cpu": cpu}, nil
}

// ---- migration ------------------------------------------------------------------------------------

func migrate(target, keylog string) (any, error) {
	c, err := newClient(target, keylog, false)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before, conn, h3, err := c.request(ctx, false)
	if err != nil {
		return nil, err
	}
	defer conn.CloseWithError(0, "done")
	udp, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, err
	}
	path, err := conn.AddPath(&quic.Transport{Conn: udp})
	if err != nil {
		return nil, err
	}
	probeStart := since(c.start)
	if err := path.Probe(ctx); err != nil {
		return nil, fmt.Errorf("probing the new path: %w", err)
	}
	validatedAt := since(c.start)
	if err := path.Switch(); err != nil {
		return nil, err
	}
	resp, after, err := roundTrip(ctx, h3, http.MethodGet, c.server, c.path, c.start)
	if err != nil {
		return nil, fmt.Errorf("request after the move: %w", err)
	}
	return map[string]any{
		"before": before, "oldLocalAddr": before.LocalAddr, "newLocalAddr": udp.LocalAddr().String(),
		"probeStartedAtMs": probeStart, "validatedAtMs": validatedAt,
		"after": map[string]any{"status": resp.StatusCode, "bytes": after.Bytes, "firstByteAtMs": after.FirstByteAtMs},
	}, nil
}

// migrateDuringDownload: one GET of a long body; switchAfter into reading it, the client opens a second
// UDP socket, probes the path from it (PATH_CHALLENGE) and switches the connection to it, while the
// body keeps being read. Reading stops after readFor. Reads are timed from the response headers; with
// tens of thousands of reads, one a millisecond is kept, and both ends of any pause of a millisecond or more.
func migrateDuringDownload(target, keylog, bulk string, switchAfter, readFor time.Duration) (any, error) {
	c, err := newClient(target, keylog, false)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), readFor+10*time.Second)
	defer cancel()
	conn, err := c.transport.Dial(ctx, c.server, c.tls, &quic.Config{})
	if err != nil {
		return nil, err
	}
	defer conn.CloseWithError(0, "done")
	oldLocal := c.transport.Conn.LocalAddr().String()
	h3 := (&http3.Transport{}).NewClientConn(conn)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+c.server.String()+bulk, nil)
	if err != nil {
		return nil, err
	}
	resp, err := h3.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	start := time.Now()
	move := map[string]any{}
	moved := make(chan struct{})
	go func() {
		defer close(moved)
		time.Sleep(switchAfter)
		udp, err := net.ListenUDP("udp", nil)
		if err != nil {
			move["error"] = err.Error()
			return
		}
		move["newLocalAddr"] = udp.LocalAddr().String()
		path, err := conn.AddPath(&quic.Transport{Conn: udp})
		if err != nil {
			move["error"] = err.Error()
			return
		}
		move["probeStartedAtMs"] = since(start)
		if err := path.Probe(ctx); err != nil {
			move["error"] = "probing the new path: " + err.Error()
			return
		}
		move["validatedAtMs"] = since(start)
		if err := path.Switch(); err != nil {
			move["error"] = err.Error()
			return
		}
		move["switchedAtMs"] = since(start)
	}()
	reads := [][2]float64{}
	var prev [2]float64
	kept := -1.0 // when the last kept read was
	total, readError := 0, ""
	buf := make([]byte, 64<<10)
	for time.Since(start) < readFor {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			total += n
			now := [2]float64{since(start), float64(total)}
			if now[0]-prev[0] >= 1 && prev[1] > 0 && prev[0] > kept {
				reads = append(reads, prev) // the last read before a pause
				kept = prev[0]
			}
			if now[0]-kept >= 1 {
				reads = append(reads, now)
				kept = now[0]
			}
			prev = now
		}
		if err != nil {
			if err != io.EOF {
				readError = err.Error()
			}
			break
		}
	}
	if prev[1] > 0 && prev[0] > kept {
		reads = append(reads, prev)
	}
	<-moved
	return map[string]any{
		"path": bulk, "status": resp.StatusCode, "oldLocalAddr": oldLocal, "bytes": total, "readForMs": float64(readFor.Milliseconds()),
		"switchAfterMs": float64(switchAfter.Milliseconds()), "move": move, "reads": reads, "readError": readError,
	}, nil
}

// ---- echo: what a loss costs the messages behind it ---------------------------------------------

const echoSize = 200

func echoUDP(conn net.PacketConn) error {
	buf := make([]byte, 2048)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return err
		}
		conn.WriteTo(buf[:n], from)
	}
}

func echoTCP(ln net.Listener) error {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer conn.Close()
			io.Copy(conn, conn)
		}()
	}
}

type echoed struct {
	Seq    int      `json:"seq"`
	SentMs float64  `json:"sentMs"`
	RttMs  *float64 `json:"rttMs"` // nil: never came back
}

// echo sends count numbered messages, one every interval, and times each one's return.
func echo(proto, to string, count int, interval time.Duration) (any, error) {
	var conn net.Conn
	var err error
	switch proto {
	case "udp", "tcp":
		conn, err = net.Dial(proto, to)
	default:
		err = fmt.Errorf("-proto wants udp or tcp")
	}
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	start := time.Now()
	messages := make([]echoed, count)
	var mutex sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, echoSize)
		for received := 0; received < count; received++ {
			var readErr error
			if proto == "tcp" {
				_, readErr = io.ReadFull(conn, buf)
			} else {
				_, readErr = conn.Read(buf)
			}
			if readErr != nil {
				return
			}
			seq := int(buf[0])<<8 | int(buf[1])
			rtt := since(start)
			mutex.Lock()
			if seq < count && messages[seq].RttMs == nil {
				rtt -= messages[seq].SentMs
				messages[seq].RttMs = &rtt
			}
			mutex.Unlock()
		}
	}()
	payload := make([]byte, echoSize)
	for i := 0; i < count; i++ {
		payload[0], payload[1] = byte(i>>8), byte(i)
		mutex.Lock()
		messages[i] = echoed{Seq: i, SentMs: since(start)}
		mutex.Unlock()
		if _, err := conn.Write(payload); err != nil {
			return nil, err
		}
		time.Sleep(interval)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second): // whatever has not come back by now was lost
	}
	conn.SetReadDeadline(time.Now())
	mutex.Lock()
	defer mutex.Unlock()
	return map[string]any{"proto": proto, "messages": messages}, nil
}
