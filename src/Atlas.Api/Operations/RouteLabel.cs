using Microsoft.AspNetCore.Http.Metadata;

namespace Atlas.Api.Operations;

/// <summary>
/// The route template that HTTP metrics and spans (<c>http.route</c>) name an endpoint by, where ASP.NET Core's own would
/// read oddly: a group's own route (<c>"/wallet"</c> + <c>""</c>) is <c>/wallet/</c> to it, <c>/wallet</c> to the apps.
/// </summary>
internal sealed record RouteLabel(string Route) : IRouteDiagnosticsMetadata;
