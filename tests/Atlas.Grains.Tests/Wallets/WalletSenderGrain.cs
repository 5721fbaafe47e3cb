using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;

namespace Atlas.Grains.Tests.Wallets;

/// <summary>A wallet movement to send: what <see cref="IWalletGrain"/> is asked.</summary>
[GenerateSerializer, Immutable, Alias("atlas.tests.WalletCall")]
public sealed record WalletCall([property: Id(0)] MovementKind Kind, [property: Id(1)] string Reference, [property: Id(2)] Money Amount)
{
    public static WalletCall TopUp(string reference, Money amount) => new(MovementKind.TopUp, reference, amount);

    public static WalletCall Credit(string reference, Money amount) => new(MovementKind.Credit, reference, amount);

    public static WalletCall Debit(string reference, Money amount) => new(MovementKind.Debit, reference, amount);
}

/// <summary>What a wallet answered to a call: a movement, or an error.</summary>
[GenerateSerializer, Immutable, Alias("atlas.tests.WalletAnswer")]
public sealed record WalletAnswer([property: Id(0)] WalletMovement? Movement, [property: Id(1)] Exception? Error)
{
    public WalletMovement Result => Movement ?? throw new InvalidOperationException($"The call failed: {Error}");
}

/// <summary>
/// Sends movements to a wallet without waiting for their answers, in a known order. Orleans keeps no order between
/// concurrent calls: a batch of messages forwarded from a gateway to another silo was seen to arrive in reverse. Placed on
/// the wallet's silo, this grain's calls are delivered locally, in the order it makes them.
/// </summary>
public interface IWalletSenderGrain : IGrainWithStringKey
{
    /// <summary>Sends the calls one after the other, then reads the balance, which answers once they are all queued.</summary>
    Task Send(string walletId, WalletCall[] calls);

    /// <summary>Every answer, in the order sent.</summary>
    Task<WalletAnswer[]> Answers();
}

public sealed class WalletSenderGrain : Grain, IWalletSenderGrain
{
    private readonly List<Task<WalletMovement>> _sent = [];

    public async Task Send(string walletId, WalletCall[] calls)
    {
        var wallet = GrainFactory.GetGrain<IWalletGrain>(walletId);
        foreach (var call in calls)
        {
            _sent.Add(call.Kind switch
            {
                MovementKind.TopUp => wallet.TopUp(call.Reference, call.Amount),
                MovementKind.Credit => wallet.Credit(call.Reference, call.Amount),
                MovementKind.Debit => wallet.Debit(call.Reference, call.Amount),
                _ => throw new ArgumentOutOfRangeException(nameof(calls), call.Kind, "Not a movement this sender makes."),
            });
        }
        await wallet.GetBalance();
    }

    public async Task<WalletAnswer[]> Answers()
    {
        var answers = new List<WalletAnswer>();
        foreach (var call in _sent)
        {
            try
            {
                answers.Add(new WalletAnswer(await call, null));
            }
            catch (Exception exception)
            {
                answers.Add(new WalletAnswer(null, exception));
            }
        }
        return answers.ToArray();
    }
}
