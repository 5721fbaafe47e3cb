using Atlas.Api.Auth;
using Atlas.Api.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace Atlas.Api.Operations;

/// <summary>The OpenAPI document (<c>/openapi/v1.json</c>): the bearer scheme, required on every route not marked anonymous.</summary>
internal static class OpenApiSetup
{
    private const string SchemeName = JwtBearerSetup.SchemeName;

    public static IServiceCollection AddApiOpenApi(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Atlas ride-hailing API",
                Version = "v1",
                Description = "Riders order rides, drivers stream positions and take offers, wallets pay. JSON in snake_case; errors are RFC 7807 problem details. " +
                              "Cities, vehicle classes, dispatch modes, payment methods and surge come from the Markets configuration. Drivers may also stream positions " +
                              "over gRPC: atlas.drivers.v1.DriverPositions/StreamPositions on Atlas:Grpc:Port (h2c, 8086), with the same bearer token (see the README).",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A token from POST /auth/token.",
            };
            return Task.CompletedTask;
        });
        // Fields read by the API's own converters: describe what they accept, which the generator cannot see.
        options.AddSchemaTransformer((schema, context, _) =>
        {
            switch (context.JsonPropertyInfo?.CustomConverter)
            {
                case FlexibleIdConverter:
                    schema.Type = JsonSchemaType.String | JsonSchemaType.Integer | JsonSchemaType.Null;
                    schema.Description ??= "An id: a string, or a whole number.";
                    break;
                case FlexibleTimestampConverter:
                    schema.Type = JsonSchemaType.String | JsonSchemaType.Number | JsonSchemaType.Null;
                    schema.Format = null;
                    schema.Description ??= "RFC 3339 with an offset, or unix time: seconds below 1e11, milliseconds from 1e11 on.";
                    break;
            }
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (!metadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] });
            }
            return Task.CompletedTask;
        });
    });
}
