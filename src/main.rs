fn main() {
    println!("riskdesk");
}
