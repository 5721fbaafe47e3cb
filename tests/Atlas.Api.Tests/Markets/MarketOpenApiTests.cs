using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Markets;

/// <summary>The OpenAPI document describes the markets' routes and fields.</summary>
[Collection(ApiCollection.Name)]
public sealed class MarketOpenApiTests(ApiFactory api)
{
    [Fact]
    public async Task The_openapi_document_has_the_new_routes_and_fields()
    {
        var document = await api.Client().GetOkAsync("/openapi/v1.json");

        var paths = document["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/driver/order"), "/driver/order missing");
        Assert.True(paths.ContainsKey("/admin/surge"), "/admin/surge missing");
        var schemas = document["components"]!["schemas"]!;
        foreach (var (schema, fields) in new (string, string[])[]
                 {
                     ("OrderRequest", ["payment_method", "vehicle_type", "city"]),
                     ("RideRequestBody", ["payment_method", "vehicle_type", "city"]),
                     ("OrderCreated", ["payment_method", "surge_multiplier", "dispatch", "vehicle_type"]),
                     ("RideRequested", ["payment_method", "surge_multiplier", "max_price", "driver_id"]),
                     ("OrderDetails", ["payment_method", "surge_multiplier", "max_price", "dispatch"]),
                     ("OfferDetails", ["payment_method"]),
                     ("MovementDetails", ["credit_limit"]),
                     ("SurgeDetails", ["multiplier", "open_requests", "available_drivers"]),
                 })
        {
            var properties = schemas[schema]!["properties"]!.AsObject();
            Assert.All(fields, f => Assert.True(properties.ContainsKey(f), $"{schema}.{f} missing"));
        }
        Assert.Contains("StreamPositions", document["info"]!.Str("description"));
    }
}
