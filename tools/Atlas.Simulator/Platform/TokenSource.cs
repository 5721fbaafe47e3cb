using Atlas.Api.Auth;
using Atlas.Simulator.Command;
using Microsoft.Extensions.Options;

namespace Atlas.Simulator.Platform;

/// <summary>
/// Bearer tokens for the simulated apps: from <c>POST /auth/token</c> (development mode: any user, any role), waiting
/// out its per-address rate limit when it answers 429; or minted here with the platform's signing key when given.
/// </summary>
public sealed class TokenSource(AtlasHttp http, SimulatorOptions options, Action<string> log)
{
    private readonly TokenService? _minter = options.SigningKey is null
        ? null
        : new TokenService(Options.Create(new AuthOptions { SigningKey = options.SigningKey, Issuer = options.Issuer, Audience = options.Audience }), TimeProvider.System);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), string> _issued = new();
    private int _toldAboutLimit;

    /// <summary>The token of <paramref name="userId"/> in <paramref name="role"/>: asked for once, then reused (valid an hour).</summary>
    public async Task<string> ForAsync(string userId, string role, CancellationToken cancellationToken)
    {
        if (_issued.TryGetValue((userId, role), out var known))
        {
            return known;
        }
        var token = await IssueAsync(userId, role, cancellationToken);
        _issued[(userId, role)] = token;
        return token;
    }

    private async Task<string> IssueAsync(string userId, string role, CancellationToken cancellationToken)
    {
        if (_minter is not null)
        {
            return _minter.Issue(userId, role).AccessToken;
        }
        while (true)
        {
            var answer = await http.PostAsync("/auth/token", null, new { user_id = userId, role }, cancellationToken, 429, 401);
            if (answer.Ok && answer.Str("access_token") is { } token)
            {
                return token;
            }
            if (answer.Status == 401)
            {
                throw new SimulationSetupException(
                    $"Atlas refused a development token ({answer.Str("detail")}): it has Auth:SigningKey set; give the simulator --signing-key with the same key.");
            }
            if (answer.Status != 429)
            {
                throw new SimulationSetupException($"POST /auth/token answered {answer.Status} {answer.Str("detail")}");
            }
            var wait = answer.RetryAfter ?? TimeSpan.FromSeconds(5);
            if (Interlocked.Exchange(ref _toldAboutLimit, 1) == 0)
            {
                log($"Atlas issues few tokens per minute per address (RateLimits:TokenIssuing); waiting {wait.TotalSeconds:0} s at a time. " +
                    "For a quick start, run the platform with --RateLimits:TokenIssuing:PermitLimit 100000.");
            }
            await Task.Delay(wait, cancellationToken);
        }
    }
}

/// <summary>The platform answered, but not in a way the simulation can start with (its message says why).</summary>
public sealed class SimulationSetupException(string message) : Exception(message);
