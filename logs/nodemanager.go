package logs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The NodeManager's web services (Hadoop 3.4.1 NMWebServices), on its HTTP
// address (yarn.nodemanager.webapp.address):
//
//	GET /ws/v1/node/apps/{appid}                      the app's containers on this node
//	GET /ws/v1/node/containers/{id}/logs              the container's log files
//	GET /ws/v1/node/containers/{id}/logs/{file}?size=N  a file in the yarn logs
//	                                                  format: N > 0 its first N bytes,
//	                                                  N < 0 its last -N bytes
//
// The NodeManager only knows containers still in its memory: a container
// that ended some time ago answers 404 until its logs are aggregated.

// ErrNotOnNode is returned when a NodeManager does not know the application
// or container (it never ran there, or the NodeManager forgot it).
var ErrNotOnNode = errors.New("not known to this NodeManager")

// maxNMReply bounds what is read of a NodeManager's JSON replies.
const maxNMReply = 8 << 20

// NodeManager reads container logs from one NodeManager's web services.
type NodeManager struct {
	// Addr is the NodeManager's HTTP address, host:port.
	Addr string
	HTTP *http.Client
}

// NMFile is a log file a NodeManager lists for a container.
type NMFile struct {
	Name    string
	Size    int64
	ModTime string // as the NodeManager formats it (Times.format)
}

// NMContainerLogs is one entry of a container's log listing: the local
// files, or (under rolling aggregation) those already on HDFS.
type NMContainerLogs struct {
	Type   string // LOCAL or AGGREGATED
	NodeID string
	Files  []NMFile
}

func (nm *NodeManager) get(ctx context.Context, path string, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+nm.Addr+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	hc := nm.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("NodeManager %s: %w", nm.Addr, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := remoteMessage(b)
	if resp.StatusCode == http.StatusNotFound || (resp.StatusCode == http.StatusInternalServerError && strings.Contains(msg, "NotFoundException")) {
		return nil, fmt.Errorf("NodeManager %s: GET %s: %s: %w", nm.Addr, path, msg, ErrNotOnNode)
	}
	return nil, fmt.Errorf("NodeManager %s: GET %s: %s: %s", nm.Addr, path, resp.Status, msg)
}

// remoteMessage pulls the message out of a RemoteException reply.
func remoteMessage(b []byte) string {
	var re struct {
		RemoteException struct {
			Message string `json:"message"`
		} `json:"RemoteException"`
	}
	if json.Unmarshal(b, &re) == nil && re.RemoteException.Message != "" {
		return re.RemoteException.Message
	}
	return strings.TrimSpace(string(b))
}

// oneOrMany decodes a Jersey JSON list, which is an object when it has one
// element and an array otherwise.
func oneOrMany[T any](raw json.RawMessage) ([]T, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var v []T
		err := json.Unmarshal(raw, &v)
		return v, err
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return []T{v}, nil
}

// AppContainers lists the application's containers this NodeManager knows.
func (nm *NodeManager) AppContainers(ctx context.Context, appID string) ([]string, error) {
	resp, err := nm.get(ctx, "/ws/v1/node/apps/"+url.PathEscape(appID), "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var v struct {
		App struct {
			ContainerIDs json.RawMessage `json:"containerids"`
		} `json:"app"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxNMReply)).Decode(&v); err != nil {
		return nil, fmt.Errorf("NodeManager %s: application %s: bad reply: %w", nm.Addr, appID, err)
	}
	ids, err := oneOrMany[string](v.App.ContainerIDs)
	if err != nil {
		return nil, fmt.Errorf("NodeManager %s: application %s: bad container list: %w", nm.Addr, appID, err)
	}
	return ids, nil
}

// ContainerLogs lists a container's log files.
func (nm *NodeManager) ContainerLogs(ctx context.Context, containerID string) ([]NMContainerLogs, error) {
	resp, err := nm.get(ctx, "/ws/v1/node/containers/"+url.PathEscape(containerID)+"/logs", "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var v struct {
		Info json.RawMessage `json:"containerLogsInfo"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxNMReply)).Decode(&v); err != nil {
		return nil, fmt.Errorf("NodeManager %s: logs of %s: bad reply: %w", nm.Addr, containerID, err)
	}
	type fileInfo struct {
		Name    string `json:"fileName"`
		Size    string `json:"fileSize"`
		ModTime string `json:"lastModifiedTime"`
	}
	type info struct {
		Files  json.RawMessage `json:"containerLogInfo"`
		Type   string          `json:"logAggregationType"`
		NodeID string          `json:"nodeId"`
	}
	infos, err := oneOrMany[info](v.Info)
	if err != nil {
		return nil, fmt.Errorf("NodeManager %s: logs of %s: bad reply: %w", nm.Addr, containerID, err)
	}
	var out []NMContainerLogs
	for _, in := range infos {
		files, err := oneOrMany[fileInfo](in.Files)
		if err != nil {
			return nil, fmt.Errorf("NodeManager %s: logs of %s: bad file list: %w", nm.Addr, containerID, err)
		}
		cl := NMContainerLogs{Type: in.Type, NodeID: in.NodeID}
		for _, f := range files {
			n, err := strconv.ParseInt(f.Size, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("NodeManager %s: logs of %s: file %s has size %q", nm.Addr, containerID, f.Name, f.Size)
			}
			cl.Files = append(cl.Files, NMFile{Name: f.Name, Size: n, ModTime: f.ModTime})
		}
		out = append(out, cl)
	}
	return out, nil
}

// NMChunk is part of a log file as a NodeManager served it.
type NMChunk struct {
	NodeID  string
	ModTime string
	// Length is the file's length when it was read.
	Length int64
	// Offset is where Data starts in the file.
	Offset int64
	Data   []byte
}

// NMStream is a log file being read from a NodeManager: its metadata, then
// exactly the bytes asked for. Close it.
type NMStream struct {
	NMChunk
	io.Reader
	body io.Closer
}

// Close releases the connection.
func (s *NMStream) Close() error { return s.body.Close() }

// Open starts reading a log file: size > 0 its first size bytes, size < 0
// its last -size bytes, 0 all of it. The NodeManager sends it after a yarn
// logs header (and, under rolling aggregation, the aggregated parts after
// it, which are not read).
func (nm *NodeManager) Open(ctx context.Context, containerID, file string, size int64) (*NMStream, error) {
	p := "/ws/v1/node/containers/" + url.PathEscape(containerID) + "/logs/" + url.PathEscape(file)
	if size != 0 {
		p += "?size=" + strconv.FormatInt(size, 10)
	}
	resp, err := nm.get(ctx, p, "text/plain")
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	c, n, err := readNMHeader(br, size)
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("NodeManager %s: %s of %s: %w", nm.Addr, file, containerID, err)
	}
	return &NMStream{NMChunk: *c, Reader: &exactReader{r: br, left: n, what: fmt.Sprintf("NodeManager %s: %s of %s", nm.Addr, file, containerID)}, body: resp.Body}, nil
}

// File reads part of a log file into memory (see Open for size).
func (nm *NodeManager) File(ctx context.Context, containerID, file string, size int64) (*NMChunk, error) {
	s, err := nm.Open(ctx, containerID, file, size)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	b, err := io.ReadAll(s)
	if err != nil {
		return nil, err
	}
	c := s.NMChunk
	c.Data = b
	return &c, nil
}

// exactReader reads exactly left bytes; an early end is an error.
type exactReader struct {
	r    io.Reader
	left int64
	what string
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, fmt.Errorf("%s: the reply ended %d bytes early: %w", e.what, e.left, io.ErrUnexpectedEOF)
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// readNMHeader reads the header the NodeManager puts before a file's bytes
// and works out how many bytes follow for a request of size (0: all).
func readNMHeader(br *bufio.Reader, size int64) (*NMChunk, int64, error) {
	c := &NMChunk{}
	length := int64(-1)
	for i := 0; ; i++ {
		line, err := br.ReadString('\n')
		if err != nil {
			if err == io.EOF && i == 0 && line == "" {
				// Nothing at all: older NodeManagers send no header for
				// an empty read.
				return c, 0, nil
			}
			return nil, 0, fmt.Errorf("reading the log header: %w (%w)", ErrFormat, err)
		}
		line = strings.TrimSuffix(line, "\n")
		if i == 0 {
			if strings.HasPrefix(line, "End of LogType:") {
				return c, 0, nil
			}
			_, node, ok := strings.Cut(line, " on ")
			if !ok || !strings.HasPrefix(line, "Container: ") {
				return nil, 0, fmt.Errorf("%w: first line %q", ErrFormat, truncateBytes([]byte(line), 200))
			}
			c.NodeID = node
			continue
		}
		if line == "LogContents:" {
			break
		}
		if v, ok := strings.CutPrefix(line, "LogLastModifiedTime:"); ok {
			c.ModTime = v
		}
		if v, ok := strings.CutPrefix(line, "LogLength:"); ok {
			if length, err = strconv.ParseInt(v, 10, 64); err != nil || length < 0 {
				return nil, 0, fmt.Errorf("%w: LogLength %q", ErrFormat, v)
			}
		}
		if i > 16 {
			return nil, 0, fmt.Errorf("%w: no LogContents line", ErrFormat)
		}
	}
	if length < 0 {
		return nil, 0, fmt.Errorf("%w: no LogLength line", ErrFormat)
	}
	c.Length = length
	n := length
	switch {
	case size < 0 && -size < length:
		n = -size
		c.Offset = length - n
	case size > 0 && size < length:
		n = size
	}
	return c, n, nil
}
