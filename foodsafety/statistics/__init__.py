"""The official statistics table (校园食品安全守护行动工作情况统计表): definition, aggregation, snapshots."""
