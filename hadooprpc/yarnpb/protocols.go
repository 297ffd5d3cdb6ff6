package yarnpb

// Protocol names, as sent in IpcConnectionContextProto.protocol and
// RequestHeaderProto.declaringClassProtocolName. Each is the Java interface
// the server registers for the protocol.
const (
	// ApplicationClientProtocol is served by the ResourceManager's client
	// port (yarn.resourcemanager.address, default 8032).
	ApplicationClientProtocol = "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB"
	// ApplicationMasterProtocol is served by the ResourceManager's scheduler
	// port (yarn.resourcemanager.scheduler.address, default 8030) and accepts
	// only AMRMToken authentication.
	ApplicationMasterProtocol = "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB"
	// ContainerManagementProtocol is served by every NodeManager
	// (yarn.nodemanager.address) and accepts only NMToken authentication.
	ContainerManagementProtocol = "org.apache.hadoop.yarn.api.ContainerManagementProtocolPB"

	// ProtocolVersion is the version of all three protocols, sent as
	// RequestHeaderProto.clientProtocolVersion.
	ProtocolVersion uint64 = 1
)

// ApplicationClientProtocol methods, as sent in RequestHeaderProto.methodName,
// with their request and response messages.
const (
	// GetNewApplicationRequestProto -> GetNewApplicationResponseProto.
	MethodGetNewApplication = "getNewApplication"
	// SubmitApplicationRequestProto -> SubmitApplicationResponseProto.
	MethodSubmitApplication = "submitApplication"
	// GetApplicationReportRequestProto -> GetApplicationReportResponseProto.
	MethodGetApplicationReport = "getApplicationReport"
	// GetApplicationsRequestProto -> GetApplicationsResponseProto.
	MethodGetApplications = "getApplications"
	// KillApplicationRequestProto -> KillApplicationResponseProto.
	MethodForceKillApplication = "forceKillApplication"
	// FailApplicationAttemptRequestProto -> FailApplicationAttemptResponseProto.
	MethodFailApplicationAttempt = "failApplicationAttempt"
	// GetClusterMetricsRequestProto -> GetClusterMetricsResponseProto.
	MethodGetClusterMetrics = "getClusterMetrics"
	// GetClusterNodesRequestProto -> GetClusterNodesResponseProto.
	MethodGetClusterNodes = "getClusterNodes"
	// GetQueueInfoRequestProto -> GetQueueInfoResponseProto.
	MethodGetQueueInfo = "getQueueInfo"
	// GetQueueUserAclsInfoRequestProto -> GetQueueUserAclsInfoResponseProto.
	MethodGetQueueUserAcls = "getQueueUserAcls"
	// MoveApplicationAcrossQueuesRequestProto -> MoveApplicationAcrossQueuesResponseProto.
	MethodMoveApplicationAcrossQueues = "moveApplicationAcrossQueues"
	// GetApplicationAttemptReportRequestProto -> GetApplicationAttemptReportResponseProto.
	MethodGetApplicationAttemptReport = "getApplicationAttemptReport"
	// GetApplicationAttemptsRequestProto -> GetApplicationAttemptsResponseProto.
	MethodGetApplicationAttempts = "getApplicationAttempts"
	// GetContainerReportRequestProto -> GetContainerReportResponseProto.
	MethodGetContainerReport = "getContainerReport"
	// GetContainersRequestProto -> GetContainersResponseProto.
	MethodGetContainers = "getContainers"
	// GetClusterNodeLabelsRequestProto -> GetClusterNodeLabelsResponseProto.
	MethodGetClusterNodeLabels = "getClusterNodeLabels"
	// UpdateApplicationPriorityRequestProto -> UpdateApplicationPriorityResponseProto.
	MethodUpdateApplicationPriority = "updateApplicationPriority"
	// UpdateApplicationTimeoutsRequestProto -> UpdateApplicationTimeoutsResponseProto.
	MethodUpdateApplicationTimeouts = "updateApplicationTimeouts"
	// GetAllResourceTypeInfoRequestProto -> GetAllResourceTypeInfoResponseProto.
	MethodGetResourceTypeInfo = "getResourceTypeInfo"
	// GetDelegationTokenRequestProto -> GetDelegationTokenResponseProto.
	MethodGetDelegationToken = "getDelegationToken"
	// RenewDelegationTokenRequestProto -> RenewDelegationTokenResponseProto.
	MethodRenewDelegationToken = "renewDelegationToken"
	// CancelDelegationTokenRequestProto -> CancelDelegationTokenResponseProto.
	MethodCancelDelegationToken = "cancelDelegationToken"
)

// ApplicationClientProtocol and ContainerManagementProtocol both have this
// method (SignalContainerRequestProto -> SignalContainerResponseProto).
const MethodSignalToContainer = "signalToContainer"

// ApplicationMasterProtocol methods.
const (
	// RegisterApplicationMasterRequestProto -> RegisterApplicationMasterResponseProto.
	MethodRegisterApplicationMaster = "registerApplicationMaster"
	// AllocateRequestProto -> AllocateResponseProto.
	MethodAllocate = "allocate"
	// FinishApplicationMasterRequestProto -> FinishApplicationMasterResponseProto.
	MethodFinishApplicationMaster = "finishApplicationMaster"
)

// ContainerManagementProtocol methods.
const (
	// StartContainersRequestProto -> StartContainersResponseProto.
	MethodStartContainers = "startContainers"
	// StopContainersRequestProto -> StopContainersResponseProto.
	MethodStopContainers = "stopContainers"
	// GetContainerStatusesRequestProto -> GetContainerStatusesResponseProto.
	MethodGetContainerStatuses = "getContainerStatuses"
)
