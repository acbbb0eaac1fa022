using CacheBus.Contracts;
using CacheBus.Service.Replication;
using CacheBus.Service.Rules;
using CacheBus.UnitTests.Sessions;
using static CacheBus.UnitTests.Rules.TestRules;

namespace CacheBus.UnitTests.Replication;

/// <summary>The rules applied where the changes are decoded, and what the consumers then receive.</summary>
public sealed class OutgoingBatchTests
{
    private static readonly RuleSet Shop = For(
        ("products", ["product:{id}", "product-list:category:{category_id}"]),
        ("profiles", ["profile:{user_id}"]),
        ("orders", ["order:{id}", "order-history:{user_id}"]));

    [Fact]
    public void Take_TwoTablesInOneTransaction_EachByItsOwnRules_KeysOnceEach()
    {
        var batch = new OutgoingBatch(Shop, null, 500, 1 << 20);

        batch.Add(Product("1", category: "7"));
        batch.Add(Order("5", user: "9"));
        batch.Add(Product("1", category: "7"));
        batch.Add(Order("6", user: "9"));
        batch.EndTransaction();

        var keys = Assert.IsType<KeysInvalidated>(Assert.Single(batch.Take()));
        Assert.Equal(["product:1", "product-list:category:7", "order:5", "order-history:9", "order:6"], keys.Keys);
        Assert.Equal(4, keys.Changes);
        Assert.Equal("0/16B3748", keys.CommitLsn);
    }

    [Fact]
    public void Take_SeveralTransactions_CommitTimeOfTheOldest_NewestCommitTimeOfTheNewest()
    {
        // The latency metric counts from the oldest commit; the second eviction is due after the newest one.
        var batch = new OutgoingBatch(Shop, null, 500, 1 << 20);
        var first = DateTimeOffset.Parse("2026-12-04T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

        batch.Add(Product("1", category: "7") with { CommitTime = first });
        batch.EndTransaction();
        batch.Add(Product("2", category: "7") with { CommitTime = first.AddMilliseconds(40) });
        batch.EndTransaction();

        var keys = Assert.IsType<KeysInvalidated>(Assert.Single(batch.Take()));
        Assert.Equal(first, keys.CommitTime);
        Assert.Equal(first.AddMilliseconds(40), keys.NewestCommitTime);
        Assert.Null(batch.NewestCommit);
    }

    [Fact]
    public void Take_AfterwardsTheBatchIsEmpty()
    {
        var batch = new OutgoingBatch(Shop, null, 500, 1 << 20);
        batch.Add(Product("1", category: "7"));
        batch.Take();

        Assert.Empty(batch.Take());
        Assert.Null(batch.OldestCommit);
    }

    [Fact]
    public void Add_TableWithoutRules_AddsNothing()
    {
        var batch = new OutgoingBatch(Shop, null, 500, 1 << 20);

        batch.Add(Change("audit_log", RowOperation.Insert) with { NewValues = Rows.Of(("id", "1")) });

        Assert.Empty(batch.Take());
    }

    [Fact]
    public void IsFull_AtMaxChanges_SoALargeTransactionGoesInPieces()
    {
        var batch = new OutgoingBatch(Shop, null, 2, 1 << 20);

        batch.Add(Product("1", category: "7"));
        Assert.False(batch.IsFull);
        batch.Add(Product("2", category: "7"));

        Assert.True(batch.IsFull);
        Assert.True(batch.InTransaction);
    }

    [Fact]
    public void IsFull_AtMaxBytes()
    {
        var batch = new OutgoingBatch(Shop, null, 10_000, 1024);
        var id = 0;
        while (!batch.IsFull)
        {
            batch.Add(Product($"{id++}", category: "7"));
        }

        var keys = Assert.IsType<KeysInvalidated>(Assert.Single(batch.Take()));
        Assert.InRange(keys.Keys.Sum(k => k.Length + 3), 1024, 1024 + 100);
    }

    [Fact]
    public void Take_KeyAgainInALaterPieceOfTheSameTransaction_IsNotSentAgain_ButIsInTheNextTransaction()
    {
        var batch = new OutgoingBatch(Shop, null, 500, 1 << 20);
        batch.Add(Product("1", category: "7"));
        batch.Take();

        batch.Add(Product("1", category: "8"));
        var second = Assert.IsType<KeysInvalidated>(Assert.Single(batch.Take()));
        batch.EndTransaction();
        batch.Add(Product("1", category: "8"));
        var third = Assert.IsType<KeysInvalidated>(Assert.Single(batch.Take()));

        Assert.Equal(["product-list:category:8"], second.Keys);
        Assert.Equal(["product:1", "product-list:category:8"], third.Keys);
    }

    [Fact]
    public void Take_TablePublishingRows_AlsoSendsItsRows_OthersOnlyKeys()
    {
        var options = OptionsFor(("products", ["product:{id}"]), ("orders", ["order:{id}"]));
        options.Tables["products"].PublishRows = true;
        var batch = new OutgoingBatch(With(options), null, 500, 1 << 20);

        batch.Add(Product("1", category: "7"));
        batch.Add(Order("5", user: "9"));

        var messages = batch.Take();
        Assert.Equal(["product:1", "order:5"], Assert.Single(messages.OfType<KeysInvalidated>()).Keys);
        Assert.Equal("products", Assert.Single(Assert.Single(messages.OfType<RowsChanged>()).Changes).Table);
    }

    [Fact]
    public void Add_RowLargerThanAMessage_GoesWithoutItsValues_SaidInTheMessageAndTheCallback_KeysAsAlways()
    {
        var options = OptionsFor(("products", ["product:{id}"]));
        options.Tables["products"].PublishRows = true;
        var omitted = new List<(RowChange Change, int Bytes)>();
        var batch = new OutgoingBatch(With(options), null, 500, 4096, (change, bytes) => omitted.Add((change, bytes)));
        var wide = Product("1", category: "7") with { NewValues = Rows.Of(("id", "1"), ("description", new string('x', 10_000))) };

        batch.Add(wide);
        batch.Add(Product("2", category: "7"));

        var messages = batch.Take();
        Assert.Equal(["product:1", "product:2"], Assert.Single(messages.OfType<KeysInvalidated>()).Keys);
        var rows = Assert.Single(messages.OfType<RowsChanged>()).Changes;
        Assert.True(rows[0].ValuesOmitted);
        Assert.Null(rows[0].NewValues);
        Assert.Null(rows[0].OldValues);
        Assert.Equal("1", rows[0].Key["id"]);
        Assert.False(rows[1].ValuesOmitted);
        Assert.NotNull(rows[1].NewValues);
        var (change, bytes) = Assert.Single(omitted);
        Assert.Equal("products", change.Table);
        Assert.InRange(bytes, 10_000, 11_000);
    }

    [Fact]
    public void Take_SessionChanges_NewestSnapshotPerUser_RevokeWins_NoSecurityColumnTravels()
    {
        var batch = new OutgoingBatch(Shop, SessionPolicyTests.Build(), 500, 1 << 20);

        batch.Add(Profile("1", ("display_name", "Ada", "Ada L."), ("password_hash", "x", "x")));
        batch.Add(Profile("1", ("display_name", "Ada L.", "Ada Lovelace"), ("password_hash", "x", "x")) with { Position = 1 });
        batch.Add(Profile("2", ("display_name", "Bob", "Bob"), ("password_hash", "old-hash", "new-hash")) with { Position = 2 });
        batch.Add(Profile("2", ("display_name", "Bob", "Robert"), ("password_hash", "new-hash", "new-hash")) with { Position = 3 });

        var sessions = Assert.Single(batch.Take().OfType<SessionsChanged>());
        Assert.Equal(["1", "2"], sessions.Users.Select(u => u.UserId));
        Assert.Equal((false, 1), (sessions.Users[0].Revoke, sessions.Users[0].Position));
        Assert.Equal(Rows.Of(("display_name", "Ada Lovelace")), sessions.Users[0].Snapshot);
        Assert.Equal((true, null), (sessions.Users[1].Revoke, sessions.Users[1].Snapshot));
        Assert.Equal(4, sessions.Changes);
    }

    [Fact]
    public void Take_SnapshotThatCannotBeBuilt_Revokes()
    {
        var batch = new OutgoingBatch(Shop, SessionPolicyTests.Build(), 500, 1 << 20);

        // REPLICA IDENTITY DEFAULT and an unchanged TOASTed display_name: neither image holds it.
        batch.Add(Change("profiles", RowOperation.Insert) with { Key = Rows.Of(("user_id", "1")), NewValues = Rows.Of(("user_id", "1")), UnchangedToastColumns = ["display_name"] });

        Assert.True(Assert.Single(Assert.Single(batch.Take().OfType<SessionsChanged>()).Users).Revoke);
    }

    [Fact]
    public void Take_Truncate_RevokesAll_AndTheUsersChangedBeforeIt()
    {
        var batch = new OutgoingBatch(Shop, SessionPolicyTests.Build(), 500, 1 << 20);

        batch.Add(Profile("1", ("display_name", "Ada", "Ada L.")));
        batch.Add(Change("profiles", RowOperation.Truncate));
        batch.Add(Change("profiles", RowOperation.Insert) with { Key = Rows.Of(("user_id", "2")), NewValues = Rows.Of(("user_id", "2"), ("display_name", "Bob")) });

        var sessions = Assert.Single(batch.Take().OfType<SessionsChanged>());
        Assert.True(sessions.RevokeAll);
        Assert.Equal([("1", true), ("2", false)], sessions.Users.Select(u => (u.UserId, u.Revoke)));
    }

    [Fact]
    public void Collect_UpdateThatChangedNoRuleColumn_RendersTheRowOnce()
    {
        var change = Product("1", category: "7");
        var targets = new List<Target>();

        Shop.For(TableName.Parse("products"))!.Collect(change, targets);

        Assert.Equal(["product:1", "product-list:category:7"], targets.Select(t => t.RedisKey));
    }

    private static RowChange Product(string id, string category) => Change("products", RowOperation.Update) with
    {
        Key = Rows.Of(("id", id)),
        OldValues = Rows.Of(("id", id), ("category_id", category), ("price", "1.00")),
        NewValues = Rows.Of(("id", id), ("category_id", category), ("price", "2.00")),
    };

    private static RowChange Order(string id, string user) => Change("orders", RowOperation.Update) with
    {
        Key = Rows.Of(("id", id)),
        OldValues = Rows.Of(("id", id), ("user_id", user)),
        NewValues = Rows.Of(("id", id), ("user_id", user)),
    };

    private static RowChange Profile(string user, params (string Column, string Old, string New)[] columns) => Change("profiles", RowOperation.Update) with
    {
        Key = Rows.Of(("user_id", user)),
        OldValues = Rows.Of([("user_id", user), .. columns.Select(c => (c.Column, (string?)c.Old))]),
        NewValues = Rows.Of([("user_id", user), .. columns.Select(c => (c.Column, (string?)c.New))]),
        ChangedColumns = [.. columns.Where(c => c.Old != c.New).Select(c => c.Column)],
    };
}
