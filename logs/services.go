package logs

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// AppMasterService is the service name `spindle logs --service` gives the
// application master's own containers.
const AppMasterService = "appmaster"

// IsAMContainer reports whether a container id is an attempt's first
// container, which YARN always gives the application master.
func IsAMContainer(id string) bool {
	i := strings.LastIndexByte(id, '_')
	if i < 0 || !strings.HasPrefix(id, "container_") {
		return false
	}
	n, err := strconv.ParseInt(id[i+1:], 10, 64)
	return err == nil && n == 1
}

// allocatedLine matches the line Spindle's application master logs (logrus
// text format, on its stderr) for each container YARN grants a service:
//
//	... level=info msg="worker: allocated container_..._000002 on host:port" app=...
var allocatedLine = regexp.MustCompile(`msg="?([A-Za-z0-9_.\-]+): allocated (container_[A-Za-z0-9_]+) on ([^"\s]+)`)

// Allocation is one container the application master gave a service.
type Allocation struct {
	Service string
	Node    string // NodeManager id, host:port
}

// AllocationsFromAMLog reads which service each container ran from the
// application master's stderr.
func AllocationsFromAMLog(r io.Reader) (map[string]Allocation, error) {
	out := map[string]Allocation{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), ": allocated container_") {
			continue
		}
		if m := allocatedLine.FindSubmatch(line); m != nil {
			out[string(m[2])] = Allocation{Service: string(m[1]), Node: string(m[3])}
		}
	}
	return out, sc.Err()
}
