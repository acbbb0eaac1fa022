using System.Globalization;
using CacheBus.Contracts;

namespace CacheBus.UnitTests.Contracts;

/// <summary>What <c>contracts/samples/rows-changed.json</c> carries: four transactions on the demo shop's tables.</summary>
internal static class RowsChangedSample
{
    private const string KettleDescription = "Gooseneck kettle with a built-in thermometer and a 1 l stainless-steel body.";

    public static RowsChanged Message { get; } = new()
    {
        Changes =
        [
            new RowChange
            {
                Schema = "public",
                Table = "profiles",
                Operation = RowOperation.Insert,
                Key = Rows.Of(("user_id", "1017")),
                NewValues = Rows.Of(("user_id", "1017"), ("display_name", "Ada Lovelace"), ("is_active", "t"), ("password_hash", null)),
                ChangedColumns = ["user_id", "display_name", "is_active", "password_hash"],
                CommitLsn = "0/1A2B3C40",
                CommitTime = Time("2025-11-28T13:52:07.481233+00:00"),
                TransactionId = 48213,
            },
            new RowChange
            {
                Schema = "public",
                Table = "products",
                Operation = RowOperation.Update,
                Key = Rows.Of(("id", "42")),
                OldValues = Rows.Of(("id", "42"), ("category_id", "7"), ("name", "Espresso cup"), ("price", "12.50"), ("description", "Thick-walled porcelain cup, 90 ml.")),
                NewValues = Rows.Of(("id", "42"), ("category_id", "9"), ("name", "Espresso cup"), ("price", "12.50"), ("description", "Thick-walled porcelain cup, 90 ml.")),
                ChangedColumns = ["category_id"],
                CommitLsn = "0/1A2B4F18",
                CommitTime = Time("2025-11-28T13:52:07.493871+00:00"),
                TransactionId = 48214,
            },
            new RowChange
            {
                Schema = "public",
                Table = "products",
                Operation = RowOperation.Update,
                Key = Rows.Of(("id", "43")),
                OldValues = Rows.Of(("id", "43"), ("category_id", "9"), ("name", "Pour-over kettle"), ("price", "49.00"), ("description", KettleDescription)),
                NewValues = Rows.Of(("id", "43"), ("category_id", "9"), ("name", "Pour-over kettle"), ("price", "44.00")),
                UnchangedToastColumns = ["description"],
                ChangedColumns = ["price"],
                CommitLsn = "0/1A2B4F18",
                Position = 1,
                CommitTime = Time("2025-11-28T13:52:07.493871+00:00"),
                TransactionId = 48214,
            },
            new RowChange
            {
                Schema = "public",
                Table = "orders",
                Operation = RowOperation.Delete,
                Key = Rows.Of(("id", "90311")),
                OldValues = Rows.Of(("id", "90311"), ("user_id", "1017"), ("status", "cancelled"), ("total", "56.50"), ("PaymentRef", "pi_3QxT7b2eZvKYlo2C0a1b2c3d")),
                ChangedColumns = ["id", "user_id", "status", "total", "PaymentRef"],
                CommitLsn = "0/1A2B5A00",
                CommitTime = Time("2025-11-28T13:52:07.502114+00:00"),
                TransactionId = 48215,
            },
            new RowChange
            {
                Schema = "public",
                Table = "orders",
                Operation = RowOperation.Truncate,
                CommitLsn = "0/1A2B6210",
                CommitTime = Time("2025-11-28T13:52:07.519360+00:00"),
                TransactionId = 48216,
            },
        ],
    };

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
