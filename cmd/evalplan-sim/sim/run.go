package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// shutdownGrace is how long Run waits for requests in progress when ctx ends.
const shutdownGrace = 30 * time.Second

// Run serves cfg until ctx ends; see Server.ListenAndServe.
func Run(ctx context.Context, cfg Config, stdout io.Writer) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	return s.ListenAndServe(ctx, stdout)
}

// ListenAndServe serves on the configured Addr until ctx ends, then shuts down gracefully:
// hung requests are released, requests in progress finish (for up to 30 s). Once listening
// it writes the base URL "http://HOST:PORT/v1" to the configured URLFile when set, then
// prints "evalplan-sim listening on http://HOST:PORT" to stdout.
func (s *Server) ListenAndServe(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base := "http://" + hostPort(ln.Addr())
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	srv.RegisterOnShutdown(s.Close)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	if s.cfg.URLFile != "" {
		if err := writeFileAtomic(s.cfg.URLFile, []byte(base+"/v1")); err != nil {
			srv.Close()
			return err
		}
	}
	fmt.Fprintf(stdout, "evalplan-sim listening on %s\n", base)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// hostPort renders a listen address for a URL, replacing an unspecified host with
// 127.0.0.1.
func hostPort(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return tcp.String()
}

// writeFileAtomic writes data to a temporary file beside path and renames it into place.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write url file: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write url file: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write url file: %w", err)
	}
	return nil
}
