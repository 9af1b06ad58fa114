use super::*;

#[test]
fn parses_the_whole_receiver_and_locators() {
    assert_eq!(OrderBy::parse("*").unwrap(), OrderBy::Receiver);
    let key = OrderBy::parse("body:/data/id").unwrap();
    assert_eq!(key.to_string(), "body:/data/id");
    assert!(OrderBy::parse("data.id").is_err());
    assert!(OrderBy::parse("body:data").is_err());
}
