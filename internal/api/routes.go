package api

import "github.com/lambkin/lambkin/internal/lambda"

// operations maps each implemented operation to its service method; the
// model's other operations answer 501.
func operations(svc *lambda.Service) map[string]handler {
	return map[string]handler{
		"CreateFunction":              operation(svc.CreateFunction),
		"GetFunction":                 operation(svc.GetFunction),
		"GetFunctionConfiguration":    operation(svc.GetFunctionConfiguration),
		"ListFunctions":               operation(svc.ListFunctions),
		"DeleteFunction":              operation(svc.DeleteFunction),
		"UpdateFunctionCode":          operation(svc.UpdateFunctionCode),
		"UpdateFunctionConfiguration": operation(svc.UpdateFunctionConfiguration),

		"Invoke":      operation(svc.Invoke),
		"InvokeAsync": operation(svc.InvokeAsync),

		"PublishVersion":         operation(svc.PublishVersion),
		"ListVersionsByFunction": operation(svc.ListVersionsByFunction),
		"CreateAlias":            operation(svc.CreateAlias),
		"GetAlias":               operation(svc.GetAlias),
		"UpdateAlias":            operation(svc.UpdateAlias),
		"DeleteAlias":            operation(svc.DeleteAlias),
		"ListAliases":            operation(svc.ListAliases),

		"PublishLayerVersion":          operation(svc.PublishLayerVersion),
		"GetLayerVersion":              operation(svc.GetLayerVersion),
		"GetLayerVersionByArn":         operation(svc.GetLayerVersionByArn),
		"ListLayers":                   operation(svc.ListLayers),
		"ListLayerVersions":            operation(svc.ListLayerVersions),
		"DeleteLayerVersion":           operation(svc.DeleteLayerVersion),
		"AddLayerVersionPermission":    operation(svc.AddLayerVersionPermission),
		"RemoveLayerVersionPermission": operation(svc.RemoveLayerVersionPermission),
		"GetLayerVersionPolicy":        operation(svc.GetLayerVersionPolicy),

		"AddPermission":    operation(svc.AddPermission),
		"RemovePermission": operation(svc.RemovePermission),
		"GetPolicy":        operation(svc.GetPolicy),

		"TagResource":   operation(svc.TagResource),
		"UntagResource": operation(svc.UntagResource),
		"ListTags":      operation(svc.ListTags),

		"PutFunctionConcurrency":    operation(svc.PutFunctionConcurrency),
		"GetFunctionConcurrency":    operation(svc.GetFunctionConcurrency),
		"DeleteFunctionConcurrency": operation(svc.DeleteFunctionConcurrency),
		"GetAccountSettings":        operation(svc.GetAccountSettings),

		"PutProvisionedConcurrencyConfig":    operation(svc.PutProvisionedConcurrencyConfig),
		"GetProvisionedConcurrencyConfig":    operation(svc.GetProvisionedConcurrencyConfig),
		"DeleteProvisionedConcurrencyConfig": operation(svc.DeleteProvisionedConcurrencyConfig),
		"ListProvisionedConcurrencyConfigs":  operation(svc.ListProvisionedConcurrencyConfigs),

		"PutRuntimeManagementConfig": operation(svc.PutRuntimeManagementConfig),
		"GetRuntimeManagementConfig": operation(svc.GetRuntimeManagementConfig),

		"PutFunctionEventInvokeConfig":    operation(svc.PutFunctionEventInvokeConfig),
		"GetFunctionEventInvokeConfig":    operation(svc.GetFunctionEventInvokeConfig),
		"UpdateFunctionEventInvokeConfig": operation(svc.UpdateFunctionEventInvokeConfig),
		"DeleteFunctionEventInvokeConfig": operation(svc.DeleteFunctionEventInvokeConfig),
		"ListFunctionEventInvokeConfigs":  operation(svc.ListFunctionEventInvokeConfigs),

		"CreateFunctionUrlConfig": operation(svc.CreateFunctionUrlConfig),
		"GetFunctionUrlConfig":    operation(svc.GetFunctionUrlConfig),
		"UpdateFunctionUrlConfig": operation(svc.UpdateFunctionUrlConfig),
		"DeleteFunctionUrlConfig": operation(svc.DeleteFunctionUrlConfig),
		"ListFunctionUrlConfigs":  operation(svc.ListFunctionUrlConfigs),
	}
}
