package cli

import (
	"math"
	"slices"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// appJSON is one application as `spindle status --json` prints it and as
// each element of `spindle list --json` (documented in the README; add
// fields, never rename them). Times are RFC 3339 UTC or null when unset,
// durations whole seconds, YARN's "N/A" placeholders empty strings.
type appJSON struct {
	ID                     string           `json:"id"`
	Name                   string           `json:"name"`
	Type                   string           `json:"type"`
	User                   string           `json:"user"`
	Queue                  string           `json:"queue"`
	State                  string           `json:"state"`
	FinalStatus            string           `json:"final_status"`
	ProgressPercent        float64          `json:"progress_percent"`
	SubmittedAt            *string          `json:"submitted_at"`
	StartedAt              *string          `json:"started_at"`
	LaunchedAt             *string          `json:"launched_at"`
	FinishedAt             *string          `json:"finished_at"`
	ElapsedSeconds         int64            `json:"elapsed_seconds"`
	TrackingURL            string           `json:"tracking_url"`
	OriginalTrackingURL    string           `json:"original_tracking_url"`
	AMHost                 string           `json:"am_host"`
	AMRPCPort              int32            `json:"am_rpc_port"`
	CurrentAttemptID       string           `json:"current_attempt_id"`
	Attempts               int32            `json:"attempts"`
	Diagnostics            string           `json:"diagnostics"`
	LogAggregationStatus   string           `json:"log_aggregation_status"`
	Tags                   []string         `json:"tags"`
	Priority               int32            `json:"priority"`
	Unmanaged              bool             `json:"unmanaged"`
	AppNodeLabelExpression string           `json:"app_node_label_expression"`
	AMNodeLabelExpression  string           `json:"am_node_label_expression"`
	Resources              appResourcesJSON `json:"resources"`
	Timeouts               []appTimeoutJSON `json:"timeouts"`
}

// appResourcesJSON is what the application holds now and has used so far.
// The ResourceManager reports -1 for the counts while it has no usage
// report (e.g. before the AM container is allocated).
type appResourcesJSON struct {
	UsedContainers           int32   `json:"used_containers"`
	ReservedContainers       int32   `json:"reserved_containers"`
	UsedMemoryMB             int64   `json:"used_memory_mb"`
	UsedVcores               int32   `json:"used_vcores"`
	ReservedMemoryMB         int64   `json:"reserved_memory_mb"`
	ReservedVcores           int32   `json:"reserved_vcores"`
	NeededMemoryMB           int64   `json:"needed_memory_mb"`
	NeededVcores             int32   `json:"needed_vcores"`
	MemoryMBSeconds          int64   `json:"memory_mb_seconds"`
	VcoreSeconds             int64   `json:"vcore_seconds"`
	PreemptedMemoryMBSeconds int64   `json:"preempted_memory_mb_seconds"`
	PreemptedVcoreSeconds    int64   `json:"preempted_vcore_seconds"`
	QueueUsagePercent        float64 `json:"queue_usage_percent"`
	ClusterUsagePercent      float64 `json:"cluster_usage_percent"`
}

// appTimeoutJSON is an application timeout (YARN's only type: LIFETIME).
type appTimeoutJSON struct {
	Type             string  `json:"type"`
	ExpiresAt        *string `json:"expires_at"` // null when unlimited
	RemainingSeconds int64   `json:"remaining_seconds"`
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func toAppJSON(r *yarnpb.ApplicationReportProto, now time.Time) appJSON {
	u := r.GetAppResource_Usage()
	tags := append([]string{}, r.GetApplicationTags()...)
	slices.Sort(tags)
	a := appJSON{
		ID:                     hadooprpc.ApplicationID(r.GetApplicationId()),
		Name:                   r.GetName(),
		Type:                   r.GetApplicationType(),
		User:                   r.GetUser(),
		Queue:                  r.GetQueue(),
		State:                  r.GetYarnApplicationState().String(),
		FinalStatus:            enumName(r.GetFinalApplicationStatus(), "APP_"),
		ProgressPercent:        round2(float64(r.GetProgress()) * 100),
		SubmittedAt:            jsonTime(r.GetSubmitTime()),
		StartedAt:              jsonTime(r.GetStartTime()),
		LaunchedAt:             jsonTime(r.GetLaunchTime()),
		FinishedAt:             jsonTime(r.GetFinishTime()),
		ElapsedSeconds:         int64(elapsed(r.GetStartTime(), r.GetFinishTime(), now) / time.Second),
		TrackingURL:            naToEmpty(r.GetTrackingUrl()),
		OriginalTrackingURL:    naToEmpty(r.GetOriginalTrackingUrl()),
		AMHost:                 naToEmpty(r.GetHost()),
		AMRPCPort:              r.GetRpcPort(),
		Attempts:               r.GetCurrentApplicationAttemptId().GetAttemptId(),
		Diagnostics:            naToEmpty(r.GetDiagnostics()),
		LogAggregationStatus:   enumName(r.GetLogAggregationStatus(), "LOG_"),
		Tags:                   tags,
		Priority:               r.GetPriority().GetPriority(),
		Unmanaged:              r.GetUnmanagedApplication(),
		AppNodeLabelExpression: labelExpression(r.GetAppNodeLabelExpression()),
		AMNodeLabelExpression:  labelExpression(r.GetAmNodeLabelExpression()),
		Resources: appResourcesJSON{
			UsedContainers:           u.GetNumUsedContainers(),
			ReservedContainers:       u.GetNumReservedContainers(),
			UsedMemoryMB:             u.GetUsedResources().GetMemory(),
			UsedVcores:               u.GetUsedResources().GetVirtualCores(),
			ReservedMemoryMB:         u.GetReservedResources().GetMemory(),
			ReservedVcores:           u.GetReservedResources().GetVirtualCores(),
			NeededMemoryMB:           u.GetNeededResources().GetMemory(),
			NeededVcores:             u.GetNeededResources().GetVirtualCores(),
			MemoryMBSeconds:          u.GetMemorySeconds(),
			VcoreSeconds:             u.GetVcoreSeconds(),
			PreemptedMemoryMBSeconds: u.GetPreemptedMemorySeconds(),
			PreemptedVcoreSeconds:    u.GetPreemptedVcoreSeconds(),
			QueueUsagePercent:        round2(float64(u.GetQueueUsagePercentage())),
			ClusterUsagePercent:      round2(float64(u.GetClusterUsagePercentage())),
		},
		Timeouts: []appTimeoutJSON{},
	}
	if att := r.GetCurrentApplicationAttemptId(); att != nil {
		a.CurrentAttemptID = hadooprpc.AttemptID(att)
	}
	for _, t := range r.GetAppTimeouts() {
		to := t.GetApplicationTimeout()
		a.Timeouts = append(a.Timeouts, appTimeoutJSON{
			Type:             enumName(t.GetApplicationTimeoutType(), "APP_TIMEOUT_"),
			ExpiresAt:        yarnExpiry(to.GetExpireTime()),
			RemainingSeconds: to.GetRemainingTime(),
		})
	}
	return a
}

// labelExpression drops the RM's placeholders for "no expression" and
// "the default partition": both mean no node label, an empty string.
func labelExpression(s string) string {
	if s == "<Not set>" || s == "<DEFAULT_PARTITION>" {
		return ""
	}
	return s
}

// yarnExpiry converts an ApplicationTimeout expiry (ISO 8601 as Java's
// yyyy-MM-dd'T'HH:mm:ss.SSSZ, or "UNLIMITED") to RFC 3339 UTC.
func yarnExpiry(s string) *string {
	t, err := time.Parse("2006-01-02T15:04:05.000-0700", s)
	if err != nil {
		return nil
	}
	out := t.UTC().Format(time.RFC3339)
	return &out
}
