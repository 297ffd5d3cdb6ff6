package appmaster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
)

// The Dask scheduler's HTTP API (route distributed.http.scheduler.api, on
// the dashboard port; the runtime enables it). It lets the AM retire
// workers gracefully with no Python in the AM.

type daskWorkers struct {
	Workers []struct {
		Name    any    `json:"name"`
		Address string `json:"address"`
	} `json:"workers"`
}

// retireWorkers asks the scheduler to retire the workers named by their
// container ids (workers run with --name <container id>): their data moves
// to the remaining workers before they close.
func retireWorkers(ctx context.Context, dashboard string, containerIDs []string) error {
	base := "http://" + dashboard + "/api/v1"
	var ws daskWorkers
	if err := daskCall(ctx, http.MethodGet, base+"/get_workers", nil, &ws); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, id := range containerIDs {
		want[id] = true
	}
	var addrs []string
	for _, w := range ws.Workers {
		if want[fmt.Sprint(w.Name)] {
			addrs = append(addrs, w.Address)
		}
	}
	if len(addrs) == 0 {
		return nil
	}
	return daskCall(ctx, http.MethodPost, base+"/retire_workers", map[string]any{"workers": addrs}, nil)
}

func daskCall(ctx context.Context, method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("dask scheduler %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("dask scheduler %s: %s (is the distributed.http.scheduler.api route enabled?)", url, resp.Status)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// schedulerRetires has the scheduler retire k workers of pool s and returns
// the container ids of those it retired. When the scheduler holds no other
// pool's workers it chooses them itself (workers_to_close: idle ones
// holding the least data); otherwise its API would choose among every
// pool, so the AM names the pool's newest ready workers. Either way the
// scheduler moves their data first, and leaves out any whose data it
// could not move.
func (am *AM) schedulerRetires(ctx context.Context, s *service, dashboard string, k int) ([]string, error) {
	base := "http://" + dashboard + "/api/v1"
	var ws daskWorkers
	if err := daskCall(ctx, http.MethodGet, base+"/get_workers", nil, &ws); err != nil {
		return nil, err
	}
	am.mu.Lock()
	var mine []*container
	for _, c := range s.live {
		if c.state == stateReady && !c.stopping {
			mine = append(mine, c)
		}
	}
	am.mu.Unlock()
	ours := map[string]bool{}
	for _, c := range mine {
		ours[c.id] = true
	}
	addrs := map[string]string{}
	onlyOurs := true
	for _, w := range ws.Workers {
		name := fmt.Sprint(w.Name)
		addrs[name] = w.Address
		onlyOurs = onlyOurs && ours[name]
	}
	var body any = map[string]any{"n": k}
	if !onlyOurs {
		sort.Slice(mine, func(i, j int) bool { return mine[i].started.After(mine[j].started) })
		var pick []string
		for _, c := range mine {
			if a, ok := addrs[c.id]; ok && len(pick) < k {
				pick = append(pick, a)
			}
		}
		body = map[string]any{"workers": pick}
	}
	// The answer maps each retired worker's address to its identity.
	var retired map[string]struct {
		Name any `json:"name"`
	}
	if err := daskCall(ctx, http.MethodPost, base+"/retire_workers", body, &retired); err != nil {
		return nil, err
	}
	var names []string
	for _, w := range retired {
		names = append(names, fmt.Sprint(w.Name))
	}
	sort.Strings(names)
	return names, nil
}
