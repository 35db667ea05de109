//! `netviz bench render`: CPU time per frame to prepare and submit a scene of N points.
