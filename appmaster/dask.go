package appmaster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
