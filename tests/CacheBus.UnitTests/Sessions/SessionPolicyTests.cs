using CacheBus.Contracts;
using CacheBus.Service.Django;
using CacheBus.Service.Sessions;
using Microsoft.Extensions.Options;
using static CacheBus.UnitTests.Rules.TestRules;

namespace CacheBus.UnitTests.Sessions;

public sealed class SessionPolicyTests
{
    private static readonly SessionPolicy Policy = Build();

    [Theory]
    [InlineData(new[] { "is_active" }, true)]
    [InlineData(new[] { "display_name", "password_hash" }, true)]
    [InlineData(new[] { "display_name" }, false)]
    public void IsSecurityChange_Update_DependsOnTheChangedColumns(string[] changed, bool revokes)
    {
        var change = Change("profiles", RowOperation.Update) with { ChangedColumns = changed };

        Assert.Equal(revokes, Policy.IsSecurityChange(change));
    }

    [Fact]
    public void IsSecurityChange_UpdateWithUnknownChangedColumns_Revokes()
    {
        Assert.True(Policy.IsSecurityChange(Change("profiles", RowOperation.Update) with { ChangedColumns = null }));
    }

    [Fact]
    public void IsSecurityChange_DeleteRevokesAndInsertDoesNot()
    {
        Assert.True(Policy.IsSecurityChange(Change("profiles", RowOperation.Delete)));
        Assert.False(Policy.IsSecurityChange(Change("profiles", RowOperation.Insert)));
    }

    [Fact]
    public void Keys_FollowDjangosCacheSessionBackendAndKeyFunction()
    {
        Assert.Equal("site:3:django.contrib.sessions.cacheabc123", Policy.SessionKey("abc123"));
        Assert.Equal("site:3:cachebus.profile.42", Policy.SnapshotKey("42"));
        Assert.Equal("cachebus:sessions:42", Policy.RegistryKey("42"));
    }

    [Fact]
    public void RegistryPattern_MatchesEveryUsersRegistry_AndRegistryUserReadsTheUserBack()
    {
        Assert.Equal("cachebus:sessions:*", Policy.RegistryPattern);
        Assert.Equal("42", Policy.RegistryUser(Policy.RegistryKey("42")));
        Assert.Null(Policy.RegistryUser("cachebus:other:42"));
    }

    [Fact]
    public void RegistryPattern_GlobCharactersInTheTemplate_AreLiteral()
    {
        var policy = Build(registryKey: "s[1]*?\\:{user_id}:set");

        Assert.Equal("s\\[1\\]\\*\\?\\\\:*:set", policy.RegistryPattern);
        Assert.Equal("7", policy.RegistryUser(policy.RegistryKey("7")));
    }

    [Fact]
    public void Keys_UserIdColumnOfAnotherName_FillTheUserIdPlaceholder()
    {
        var policy = Build(userIdColumn: "id");

        Assert.Equal("cachebus:sessions:42", policy.RegistryKey("42"));
        Assert.Equal("site:3:cachebus.profile.42", policy.SnapshotKey("42"));
    }

    [Fact]
    public void UserId_DeleteCarryingOnlyTheKey_ComesFromTheKey()
    {
        Assert.Equal("42", Policy.UserId(Change("profiles", RowOperation.Delete) with { Key = Rows.Of(("user_id", "42")) }));
    }

    [Fact]
    public void Snapshot_ColumnSetToNull_IsNull()
    {
        var change = Change("profiles", RowOperation.Update) with
        {
            OldValues = Rows.Of(("user_id", "42"), ("display_name", "Ada")),
            NewValues = Rows.Of(("user_id", "42"), ("display_name", null)),
        };

        Assert.Equal(Rows.Of(("display_name", null)), Policy.TrySnapshot(change));
    }

    [Fact]
    public void Snapshot_UnchangedToastedColumn_KeepsTheOldValue()
    {
        var change = Change("profiles", RowOperation.Update) with
        {
            OldValues = Rows.Of(("user_id", "42"), ("display_name", "Ada")),
            NewValues = Rows.Of(("user_id", "42")),
            UnchangedToastColumns = ["display_name"],
        };

        Assert.Equal(Rows.Of(("display_name", "Ada")), Policy.TrySnapshot(change));
    }

    [Fact]
    public void Snapshot_ColumnTheChangeDoesNotCarry_IsNone()
    {
        var change = Change("profiles", RowOperation.Update) with { NewValues = Rows.Of(("user_id", "42")), UnchangedToastColumns = ["display_name"] };

        Assert.Null(Policy.TrySnapshot(change));
    }

    internal static SessionPolicy Build(string registryKey = "cachebus:sessions:{user_id}", string userIdColumn = "user_id")
    {
        var sessions = new SessionsOptions { Table = "profiles", DjangoCache = "sessions", RegistryKey = registryKey, UserIdColumn = userIdColumn };
        sessions.SecurityColumns.AddRange(["is_active", "password_hash"]);
        sessions.SnapshotColumns.Add("display_name");
        var django = new DjangoOptions();
        django.Caches["sessions"] = new DjangoCacheOptions { KeyPrefix = "site", Version = 3 };
        return new SessionPolicy(Options.Create(sessions), Options.Create(django));
    }
}
