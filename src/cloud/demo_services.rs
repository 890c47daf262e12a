//! The demo account's services that shift traffic.
