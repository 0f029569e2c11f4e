package database

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

const (
	// embeddedUser is the superuser initdb creates in the embedded cluster.
	embeddedUser = "oversight"
	// firstEmbeddedPort sits next to the standard 5432 so a local server
	// and the embedded one can coexist.
	firstEmbeddedPort = 5433
	// embeddedStartTimeout covers initdb on a slow disk plus the first start.
	embeddedStartTimeout = 60 * time.Second
)

// Layout of the data directory. The runtime directory is separate from the
// cluster because embedded-postgres deletes the runtime directory on every
// start; the cluster (pgdata) is reused as long as its PG_VERSION matches.
const (
	clusterDir   = "pgdata"
	runtimeDir   = "runtime"
	logDir       = "log"
	startLogFile = "postgres.log"
	passwordFile = "postgres.password"
)

// startEmbedded starts (or, when one is already running on the cluster,
// reuses) a PostgreSQL server whose cluster lives in dataDir, and makes sure
// the application database exists in it.
func (r resolver) startEmbedded(ctx context.Context, dataDir string, log *slog.Logger) (*Database, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	pgData := filepath.Join(dataDir, clusterDir)
	password, err := embeddedPassword(dataDir)
	if err != nil {
		return nil, err
	}

	// A server left running on this cluster (another oversight command, or
	// one whose parent was killed) holds the data directory: starting a second
	// would fail, so use it. It is not ours to stop.
	if port, pid, ok := runningServer(pgData); ok {
		dbURL, err := ensureDatabase(ctx, embeddedURL(password, port), r.dbName, true)
		if err == nil {
			log.Info("reusing the embedded PostgreSQL already running on the data directory",
				"pid", pid, "port", port, "stop_with", "pg_ctl stop -D "+pgData)
			return &Database{URL: dbURL, Kind: KindEmbedded, Stop: noStop}, nil
		}
		log.Warn("a server seems to run on the embedded cluster but does not answer; starting anew", "pid", pid, "err", err)
	}

	binaries, version, err := findBinaries()
	if err != nil {
		return nil, err
	}
	if err := checkClusterVersion(pgData, version); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	startLog, err := os.OpenFile(filepath.Join(dataDir, startLogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open embedded PostgreSQL log: %w", err)
	}

	cfg := embeddedpostgres.DefaultConfig().
		Version(version).
		Port(port).
		Username(embeddedUser).
		Password(password).
		// "postgres" makes embedded-postgres skip its own CREATE DATABASE,
		// which runs only on the first start; ensureDatabase runs every time.
		Database("postgres").
		RuntimePath(filepath.Join(dataDir, runtimeDir)).
		DataPath(pgData).
		Encoding("UTF8").
		Locale(clusterLocale()).
		StartTimeout(embeddedStartTimeout).
		// initdb and pg_ctl output; the server itself logs through the
		// collector below, so nothing reaches our stdout.
		Logger(startLog).
		StartParameters(map[string]string{
			"listen_addresses": "127.0.0.1",
			// Packaged binaries default to /var/run/postgresql, which a
			// normal user cannot write; TCP is all we need.
			"unix_socket_directories":  "",
			"logging_collector":        "on",
			"log_directory":            filepath.Join(dataDir, logDir),
			"log_filename":             "postgresql-%a.log",
			"log_truncate_on_rotation": "on",
			"log_rotation_age":         "1d",
		})
	if binaries != "" {
		cfg = cfg.BinariesPath(binaries)
	} else {
		log.Info("no PostgreSQL installed on this machine; embedded-postgres will download one", "version", string(version))
	}

	if err := ctx.Err(); err != nil {
		startLog.Close()
		return nil, err
	}
	server := embeddedpostgres.NewDatabase(cfg)
	if err := server.Start(); err != nil {
		startLog.Close()
		return nil, fmt.Errorf("start embedded PostgreSQL in %s (logs in %s): %w", pgData, dataDir, err)
	}
	stop := sync.OnceValue(func() error {
		err := server.Stop()
		startLog.Close()
		if err != nil {
			return fmt.Errorf("stop embedded PostgreSQL: %w", err)
		}
		return nil
	})

	dbURL, err := ensureDatabase(ctx, embeddedURL(password, port), r.dbName, true)
	if err != nil {
		return nil, errors.Join(err, stop())
	}
	return &Database{URL: dbURL, Kind: KindEmbedded, Stop: stop}, nil
}

// embeddedURL is the maintenance database of the embedded server on port.
func embeddedURL(password string, port uint32) string {
	u := url.URL{
		Scheme: "postgres",
		User:   url.UserPassword(embeddedUser, password),
		Host:   net.JoinHostPort("127.0.0.1", strconv.FormatUint(uint64(port), 10)),
		Path:   "/postgres",
	}
	return u.String()
}

// embeddedPassword returns the superuser password of the embedded cluster,
// generating and saving it on first use. It is random, rather than the
// library's default "postgres", because the server listens on a TCP port any
// local user can reach.
func embeddedPassword(dataDir string) (string, error) {
	path := filepath.Join(dataDir, passwordFile)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read embedded PostgreSQL password: %w", err)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate embedded PostgreSQL password: %w", err)
	}
	password := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save embedded PostgreSQL password: %w", err)
	}
	return password, nil
}

// runningServer reads the cluster's postmaster.pid and reports the port of
// the server when its process is alive.
func runningServer(pgData string) (port uint32, pid int, ok bool) {
	b, err := os.ReadFile(filepath.Join(pgData, "postmaster.pid"))
	if err != nil {
		return 0, 0, false
	}
	// Line 1 is the PID, line 4 the port (see PostgreSQL's pidfile.h).
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, 0, false
	}
	pid, err = strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		return 0, 0, false
	}
	p, err := strconv.ParseUint(strings.TrimSpace(lines[3]), 10, 16)
	if err != nil {
		return 0, 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, 0, false
	}
	return uint32(p), pid, true
}

// pgCtlVersion matches "pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".
var pgCtlVersion = regexp.MustCompile(`\(PostgreSQL\) (\d+(?:\.\d+)*)`)

// findBinaries looks for an installed PostgreSQL so nothing is downloaded:
// the bindir pg_config reports, then Debian's /usr/lib/postgresql/*/bin,
// highest major version first. It returns the directory embedded-postgres
// wants as BinariesPath (the parent of bin/) and the binaries' version, or ""
// and the version to download (the library's default) when none is installed.
func findBinaries() (string, embeddedpostgres.PostgresVersion, error) {
	var binDirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		binDirs = append(binDirs, strings.TrimSpace(string(out)))
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(debian, func(a, b string) int { return majorOf(b) - majorOf(a) })
	binDirs = append(binDirs, debian...)

	for _, dir := range binDirs {
		if !isExecutable(filepath.Join(dir, "pg_ctl")) || !isExecutable(filepath.Join(dir, "initdb")) || !isExecutable(filepath.Join(dir, "postgres")) {
			continue
		}
		out, err := exec.Command(filepath.Join(dir, "pg_ctl"), "--version").Output()
		if err != nil {
			continue
		}
		m := pgCtlVersion.FindStringSubmatch(string(out))
		if m == nil {
			continue
		}
		// embedded-postgres reuses a cluster when its PG_VERSION ("15") is a
		// prefix of this string, and only needs a real release number when
		// it downloads, which it does not do here.
		return filepath.Dir(dir), embeddedpostgres.PostgresVersion(m[1] + ".0"), nil
	}
	return "", embeddedpostgres.V18, nil
}

// majorOf extracts 15 from /usr/lib/postgresql/15/bin; 0 when unknown.
func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// checkClusterVersion refuses to go on when the cluster was created by another
// major version: embedded-postgres would delete it and run initdb again.
func checkClusterVersion(pgData string, version embeddedpostgres.PostgresVersion) error {
	b, err := os.ReadFile(filepath.Join(pgData, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read embedded cluster version: %w", err)
	}
	clusterVersion := strings.TrimSpace(string(b))
	if strings.HasPrefix(string(version), clusterVersion+".") {
		return nil
	}
	return fmt.Errorf("the embedded cluster in %s was created by PostgreSQL %s, but the server available now is %s; "+
		"starting it would erase the cluster: install PostgreSQL %s, or dump the data and move %s away",
		pgData, clusterVersion, version, clusterVersion, pgData)
}

// freePort returns 5433 or the next port free on 127.0.0.1, or any free port
// when that whole range is taken.
func freePort() (uint32, error) {
	for p := firstEmbeddedPort; p < firstEmbeddedPort+100; p++ {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			l.Close()
			return uint32(p), nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port for embedded PostgreSQL: %w", err)
	}
	defer l.Close()
	return uint32(l.Addr().(*net.TCPAddr).Port), nil
}

// clusterLocale picks C.UTF-8 where it is installed, so upper() and lower()
// know non-ASCII letters, and falls back to C, which exists everywhere.
func clusterLocale() string {
	for _, dir := range []string{"/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8"} {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return "C.UTF-8"
		}
	}
	return "C"
}
