using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Errors;

/// <summary>Bad input of every shape is a 4xx problem document naming what is wrong, never a 500.</summary>
[Collection(ApiCollection.Name)]
public sealed class ProblemDetailsTests(ApiFactory api)
{
    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string? body, string? contentType = "application/json", string? accept = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", api.TokenFor("rider-raw", "rider"));
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }
        return await api.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task Truncated_json_is_a_400_problem()
    {
        using var response = await SendRawAsync(HttpMethod.Post, "/customer/order", """{"user_id":"rider-raw","pickup_lat":4""");

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotEmpty(problem["errors"]!.AsObject());
    }

    [Fact]
    public async Task A_number_field_holding_a_string_is_a_400_naming_the_field()
    {
        using var response = await SendRawAsync(HttpMethod.Post, "/customer/order", """{"user_id":"rider-raw","pickup_lat":"NaN","pickup_long":1,"dropoff_lat":1,"dropoff_long":1}""");

        await response.ValidationProblemAsync("pickup_lat");
    }

    [Fact]
    public async Task A_huge_number_is_a_400_naming_the_field()
    {
        using var response = await SendRawAsync(HttpMethod.Post, "/wallet/topup", """{"amount":123456789012345678901234567890,"currency":"EUR"}""");

        await response.ValidationProblemAsync("amount");
    }

    [Fact]
    public async Task An_empty_body_is_a_400_naming_the_body()
    {
        using var response = await SendRawAsync(HttpMethod.Post, "/customer/order", "");

        await response.ValidationProblemAsync("body");
    }

    [Fact]
    public async Task A_json_array_instead_of_an_object_is_a_400()
    {
        using var response = await SendRawAsync(HttpMethod.Post, "/customer/order", "[1,2,3]");

        await response.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Deeply_nested_json_is_a_400()
    {
        using var response = await SendRawAsync(HttpMethod.Post, "/customer/order", "{\"city\":" + new string('[', 100) + new string(']', 100) + "}");

        await response.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_body_that_is_not_json_content_is_a_415_problem()
    {
        using var response = await SendRawAsync(HttpMethod.Post, "/customer/order", "user_id=rider-raw", "application/x-www-form-urlencoded");

        var problem = await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("urn:atlas:problem:unsupported-media-type", problem.Str("type"));
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        using var response = await SendRawAsync(HttpMethod.Get, "/no/such/route", null);

        var problem = await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("urn:atlas:problem:not-found", problem.Str("type"));
    }

    [Fact]
    public async Task A_wrong_method_is_a_405_problem()
    {
        using var response = await SendRawAsync(HttpMethod.Delete, "/customer/order", null);

        await response.ProblemAsync(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task A_client_that_accepts_only_html_still_gets_a_problem_document()
    {
        using var response = await SendRawAsync(HttpMethod.Get, "/customer/order?id=unknown-order", null, accept: "text/html");

        await response.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Every_problem_names_its_instance_and_trace_id()
    {
        using var response = await SendRawAsync(HttpMethod.Get, "/customer/order?id=unknown-order", null);

        var problem = await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("/customer/order", problem.Str("instance"));
        Assert.False(string.IsNullOrEmpty(problem.Str("trace_id")));
    }
}
