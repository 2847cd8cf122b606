//! The `net_kernel` process every Erlang node has, as far as peers ask it things: `net_adm:ping`
//! calls `{is_auth, Node}` and expects `yes`. Other requests get `{error, {not_supported,
//! Request}}` rather than silence. Owns this server only; must not manage connections.

use ergo_etf::Term;

use crate::gen::server::{CallOutcome, GenServer, Init};
use crate::node::Context;
use crate::process::Payload;
use crate::process::ReplyTo;

/// The registered `net_kernel` server.
pub(crate) struct NetKernel;

impl GenServer for NetKernel {
    type Args = ();

    async fn init(_ctx: &mut Context, _args: ()) -> Init<NetKernel> {
        Init::Ok(NetKernel)
    }

    async fn handle_call(
        &mut self,
        _ctx: &mut Context,
        request: Payload,
        _from: ReplyTo,
    ) -> CallOutcome {
        let request = request.into_term();
        let reply = match &request {
            Term::Tuple(elems) if elems.len() == 2 && elems[0].is_atom("is_auth") => {
                Term::atom("yes")
            }
            _ => {
                tracing::debug!(%request, "net_kernel request not supported");
                Term::tuple(vec![
                    Term::atom("error"),
                    Term::tuple(vec![Term::atom("not_supported"), request.clone()]),
                ])
            }
        };
        CallOutcome::Reply(Payload::Term(reply))
    }
}
