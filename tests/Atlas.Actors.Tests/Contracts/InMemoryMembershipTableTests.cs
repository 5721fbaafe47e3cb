using Atlas.Actors.Membership;
using Atlas.Actors.Testing.Contracts;

namespace Atlas.Actors.Tests.Contracts;

/// <summary>The membership table contract, against the in-memory table.</summary>
public sealed class InMemoryMembershipTableTests : MembershipTableContractTests
{
    protected override Task<IMembershipTable> CreateTableAsync() => Task.FromResult<IMembershipTable>(new InMemoryMembershipTable());
}
