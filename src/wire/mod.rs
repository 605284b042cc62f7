//! The shapes clients receive (SPEC §5 "wire names"): tickets, messages, notes and users, the same in
//! HTTP answers and in socket frames, so clients parse one shape. Built from the store's typed
//! records; nothing here reads the database or knows HTTP.

pub mod calendar;
mod code;
mod note;
pub mod outbound;
mod ticket;
mod todo;
mod user;
pub mod view_counts;

pub use code::{Code, ErrorCode};
pub use note::NoteView;
pub use ticket::{ActivityLog, GuestView, MessageView, Replier, ReservationView, TicketView};
pub use todo::{MyTodoView, TodoView};
pub use user::{UserView, WorkStateView};
